/*
 * attacker: what a compromised local user would run against init, for AttackTest. Never built into the image.
 *
 *   attacker fd3-to-api PORT BODY   turns the socket it was handed as fd 3 into a client (connect AF_UNSPEC,
 *                                   then connect to 127.0.0.1:PORT), sends POST /job with BODY, prints the
 *                                   answer's status line.
 *   attacker signal-threads PID MS  for MS milliseconds, asks the kernel to signal every thread of PID
 *                                   (tgkill with signal 0: the permission check without a signal) and prints
 *                                   how many checks passed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int fd3_to_api(int port, const char *body) {
    struct sockaddr unspec = { .sa_family = AF_UNSPEC };
    if (connect(3, &unspec, sizeof unspec) != 0) { perror("connect AF_UNSPEC"); return 2; }
    struct sockaddr_in api = { .sin_family = AF_INET, .sin_port = htons(port) };
    inet_pton(AF_INET, "127.0.0.1", &api.sin_addr);
    if (connect(3, (struct sockaddr *) &api, sizeof api) != 0) { perror("connect api"); return 3; }
    char request[4096];
    int n = snprintf(request, sizeof request, "POST /job HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", strlen(body), body);
    if (write(3, request, n) != n) { perror("write"); return 4; }
    char answer[4096];
    ssize_t got = read(3, answer, sizeof answer - 1);
    if (got <= 0) { perror("read"); return 5; }
    answer[got] = '\0';
    char *end = strstr(answer, "\r\n");
    if (end) *end = '\0';
    printf("answer: %s\n", answer);
    return 0;
}

static long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static int signal_threads(int pid, long duration_ms) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    long end = now_ms() + duration_ms, tries = 0, permitted = 0;
    while (now_ms() < end) {
        DIR *tasks = opendir(path);
        if (tasks == NULL) { perror(path); return 2; }
        for (struct dirent *task; (task = readdir(tasks)) != NULL;) {
            int tid = atoi(task->d_name);
            if (tid <= 0) continue;
            tries++;
            if (syscall(SYS_tgkill, pid, tid, 0) == 0) permitted++;
        }
        closedir(tasks);
    }
    printf("tries %ld permitted %ld\n", tries, permitted);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "fd3-to-api") == 0) return fd3_to_api(atoi(argv[2]), argv[3]);
    if (argc == 4 && strcmp(argv[1], "signal-threads") == 0) return signal_threads(atoi(argv[2]), atol(argv[3]));
    fputs("usage: attacker fd3-to-api PORT BODY | signal-threads PID MS\n", stderr);
    return 64;
}
