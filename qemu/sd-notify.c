/*
 * sd-notify: the QEMU self-test's notify client, in the guest where neither libsystemd nor systemd-notify is
 * installed. "sd-notify LINE..." sends one datagram, its arguments joined by newlines (READY=1 STATUS=up), to
 * $NOTIFY_SOCKET, as sd_notify(3) does: a leading '@' names the abstract namespace. Then, as systemd-notify does,
 * it waits at a barrier (BARRIER=1 with a pipe's write end, which the manager closes) until init has read the
 * message: init tells whose it is by the sender's process group, which it can only look up while the sender lives.
 * Exit 0 once init has read it (or after 5 s).
 * The host tests use Python's socket module and the real systemd-notify.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv) {
    const char *path = getenv("NOTIFY_SOCKET");
    if (path == NULL || path[0] == '\0' || strlen(path) >= sizeof ((struct sockaddr_un *) 0)->sun_path) {
        fputs("sd-notify: NOTIFY_SOCKET is not set (or too long)\n", stderr);
        return 2;
    }
    char message[4096];
    size_t length = 0;
    for (int i = 1; i < argc; i++) {
        int n = snprintf(message + length, sizeof message - length, "%s%s", i > 1 ? "\n" : "", argv[i]);
        if (n < 0 || (size_t) n >= sizeof message - length) {
            fputs("sd-notify: message too long\n", stderr);
            return 2;
        }
        length += (size_t) n;
    }
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    size_t path_length = strlen(path);
    memcpy(address.sun_path, path, path_length);
    if (path[0] == '@') address.sun_path[0] = '\0';
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || sendto(fd, message, length, 0, (struct sockaddr *) &address,
                         (socklen_t) (offsetof(struct sockaddr_un, sun_path) + path_length)) < 0) {
        perror("sd-notify");
        return 1;
    }
    int barrier[2];
    if (pipe2(barrier, O_CLOEXEC) != 0) return 0;
    char control[CMSG_SPACE(sizeof(int))] = {0};
    struct iovec iov = {.iov_base = "BARRIER=1", .iov_len = 9};
    struct msghdr msg = {.msg_name = &address,
                         .msg_namelen = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + path_length),
                         .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &barrier[1], sizeof(int));
    if (sendmsg(fd, &msg, 0) < 0) return 0;
    close(barrier[1]);
    struct pollfd hangup = {.fd = barrier[0], .events = 0};
    poll(&hangup, 1, 5000); /* POLLHUP once init has closed the write end it was sent */
    return 0;
}
