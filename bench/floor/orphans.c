/*
 * The orphan storm, for init's reaper.
 *
 * orphans storm N READYFILE
 *   Run as a job of the init under test. Forks N children that block reading a pipe, writes
 *   "<CLOCK_MONOTONIC ns> <children forked>" to READYFILE, and exits. Its exit closes the pipe's last
 *   write end, so all N children see EOF at once and exit: N orphans, reparented to the nearest
 *   subreaper (jinit) and all turning into zombies in the same instant.
 *
 * orphans watch PPID READYFILE TIMEOUT_MS
 *   Waits for READYFILE, then scans /proc until no process has parent PPID left (the storm job is one of
 *   them until it is reaped), or until TIMEOUT_MS passed. Prints one JSON line:
 *     {"forked":N,"reap_ms":T,"left":L,"zombies":Z}
 *   reap_ms runs from the storm's ready stamp to the first scan that found no child of PPID; left and
 *   zombies are what that last scan found (both 0 when everything was reaped in time).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int storm(long n, const char *ready) {
    int fds[2];
    if (pipe(fds) != 0) { perror("orphans: pipe"); return 1; }
    long forked = 0;
    for (; forked < n; forked++) {
        pid_t pid = fork();
        if (pid < 0) { perror("orphans: fork"); break; }
        if (pid == 0) {
            char c;
            close(fds[1]);
            while (read(fds[0], &c, 1) < 0 && errno == EINTR) {}
            _exit(0);
        }
    }
    char tmp[4096], line[64];
    snprintf(tmp, sizeof tmp, "%s.tmp", ready);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { perror("orphans: ready file"); return 1; }
    int len = snprintf(line, sizeof line, "%lld %ld\n", now_ns(), forked);
    if (write(fd, line, len) != len || close(fd) != 0 || rename(tmp, ready) != 0) { perror("orphans: ready file"); return 1; }
    return 0; /* exiting closes fds[1]: the storm starts */
}

/* Counts the processes whose parent is ppid, and how many of them are zombies. */
static void children_of(long ppid, long *count, long *zombies) {
    *count = *zombies = 0;
    DIR *proc = opendir("/proc");
    struct dirent *e;
    char path[300], buf[512];
    while ((e = readdir(proc)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        int fd = open(path, O_RDONLY);
        if (fd < 0) continue; /* gone meanwhile */
        ssize_t len = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (len <= 0) continue;
        buf[len] = 0;
        char *rest = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
        char state;
        long parent;
        if (rest == NULL || sscanf(rest + 1, " %c %ld", &state, &parent) != 2) continue;
        if (parent != ppid) continue;
        (*count)++;
        if (state == 'Z') (*zombies)++;
    }
    closedir(proc);
}

static int watch(long ppid, const char *ready, long timeout_ms) {
    long long deadline = now_ns() + timeout_ms * 1000000LL, t0 = 0;
    long forked = -1;
    while (forked < 0) {
        FILE *f = fopen(ready, "r");
        if (f != NULL) {
            if (fscanf(f, "%lld %ld", &t0, &forked) != 2) forked = -1;
            fclose(f);
        }
        if (forked >= 0) break;
        if (now_ns() > deadline) { fprintf(stderr, "orphans: no ready file %s\n", ready); return 1; }
        usleep(1000);
    }
    long count, zombies;
    long long end;
    do {
        children_of(ppid, &count, &zombies);
        end = now_ns();
    } while (count > 0 && end < deadline);
    printf("{\"forked\":%ld,\"reap_ms\":%.3f,\"left\":%ld,\"zombies\":%ld}\n", forked, (end - t0) / 1e6, count, zombies);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "storm") == 0) return storm(atol(argv[2]), argv[3]);
    if (argc == 5 && strcmp(argv[1], "watch") == 0) return watch(atol(argv[2]), argv[3], atol(argv[4]));
    fprintf(stderr, "usage: orphans storm N READYFILE | orphans watch PPID READYFILE TIMEOUT_MS\n");
    return 2;
}
