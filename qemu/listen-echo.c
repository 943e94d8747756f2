/*
 * listen-echo: a socket-activated server for the QEMU self-test, in the guest where libsystemd is not
 * installed. It accepts its fds exactly as sd_listen_fds(3) would: only when LISTEN_PID is its own pid
 * (jinit-exec's job) and LISTEN_FDS counts them from fd 3. It answers every connection on fd 3 with one
 * line, "listen-echo: uid=U pid=P names=N", then closes it. The host tests use the real libsystemd.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
    const char *pid = getenv("LISTEN_PID");
    const char *fds = getenv("LISTEN_FDS");
    const char *names = getenv("LISTEN_FDNAMES");
    if (pid == NULL || fds == NULL || strtol(pid, NULL, 10) != (long) getpid() || strtol(fds, NULL, 10) < 1) {
        fprintf(stderr, "listen-echo: not socket-activated (LISTEN_PID=%s, pid %ld, LISTEN_FDS=%s)\n",
                pid ? pid : "unset", (long) getpid(), fds ? fds : "unset");
        return 2;
    }
    fprintf(stderr, "listen-echo: serving fd 3 named %s\n", names ? names : "unknown");
    for (;;) {
        int client = accept(3, NULL, NULL);
        if (client < 0) {
            if (errno == EINTR) continue;
            perror("listen-echo: accept");
            return 1;
        }
        char line[128];
        int n = snprintf(line, sizeof line, "listen-echo: uid=%ld pid=%ld names=%s\n",
                         (long) getuid(), (long) getpid(), names ? names : "unknown");
        if (write(client, line, (size_t) n) < 0) perror("listen-echo: write");
        close(client);
    }
}
