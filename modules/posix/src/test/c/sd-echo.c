/*
 * sd-echo: a real consumer of systemd's socket-activation protocol, for jinit's tests.
 *
 * It asks libsystemd itself (not a reimplementation) for the passed fds, so a test passes only if
 * LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES are exactly what sd_listen_fds(3) expects. It requires
 * exactly one fd, a listening stream socket (TCP or unix), and answers every connection with
 * "sd-echo: uid=<getuid()>\n" before closing it, so a test can see which user serves the socket.
 * It says on stderr which fd and name it got. It runs until killed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

int main(void) {
    char **names = NULL;
    /* 1 = unset the LISTEN_* variables, so nothing this program starts would see them. */
    int n = sd_listen_fds_with_names(1, &names);
    if (n < 0) {
        fprintf(stderr, "sd-echo: sd_listen_fds: %s\n", strerror(-n));
        return 2;
    }
    if (n != 1) {
        fprintf(stderr, "sd-echo: expected exactly 1 fd from sd_listen_fds, got %d\n", n);
        return 2;
    }
    int fd = SD_LISTEN_FDS_START;
    if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
        fprintf(stderr, "sd-echo: fd %d is not a listening stream socket\n", fd);
        return 2;
    }
    fprintf(stderr, "sd-echo: serving fd %d named %s\n", fd, names && names[0] ? names[0] : "(none)");
    /* A client that hangs up before the answer must not kill us with SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);

    char line[64];
    int length = snprintf(line, sizeof line, "sd-echo: uid=%u\n", (unsigned) getuid());
    for (;;) {
        int client = accept(fd, NULL, NULL);
        if (client < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            fprintf(stderr, "sd-echo: accept: %s\n", strerror(errno));
            return 1;
        }
        if (write(client, line, (size_t) length) != length) {
            fprintf(stderr, "sd-echo: write: %s\n", strerror(errno));
        }
        close(client);
    }
}
