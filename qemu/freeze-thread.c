/*
 * freeze-thread PID COMM: stops one thread of process PID, the one named COMM (/proc/PID/task/TID/comm), with
 * ptrace, and keeps it stopped for as long as this program lives. The watchdog test uses it to make init stop
 * making progress in one part only: `freeze-thread 1 HTTP-Dispatcher` stops the JDK HTTP server's dispatcher
 * thread of PID 1, so the API accepts no connection while the reaper, the supervisor and the watchdog's own
 * thread run on. Signals cannot do this: the kernel ignores SIGSTOP sent to init, and it would stop every
 * thread. A ptrace stop (PTRACE_SEIZE, then PTRACE_INTERRUPT) is per thread, and root may trace init.
 * It prints "freeze-thread: stopped TID (COMM) of pid PID" once the thread is stopped, then pauses for good
 * (were it to exit, the kernel would detach and the thread would run again).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: freeze-thread PID COMM\n");
        return 2;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%s/task", argv[1]);
    DIR *tasks = opendir(path);
    if (!tasks) {
        perror("freeze-thread: opendir");
        return 1;
    }
    long tid = 0;
    struct dirent *entry;
    while (tid == 0 && (entry = readdir(tasks)) != NULL) {
        if (entry->d_name[0] == '.') continue;
        char comm_path[512], comm[64] = "";
        snprintf(comm_path, sizeof comm_path, "%s/%s/comm", path, entry->d_name);
        FILE *f = fopen(comm_path, "r");
        if (!f) continue;
        if (fgets(comm, sizeof comm, f)) comm[strcspn(comm, "\n")] = 0;
        fclose(f);
        if (strcmp(comm, argv[2]) == 0) tid = atol(entry->d_name);
    }
    closedir(tasks);
    if (tid == 0) {
        fprintf(stderr, "freeze-thread: pid %s has no thread named %s\n", argv[1], argv[2]);
        return 1;
    }
    if (ptrace(PTRACE_SEIZE, (pid_t) tid, NULL, NULL) != 0 || ptrace(PTRACE_INTERRUPT, (pid_t) tid, NULL, NULL) != 0) {
        fprintf(stderr, "freeze-thread: ptrace %ld: %s\n", tid, strerror(errno));
        return 1;
    }
    int status;
    if (waitpid((pid_t) tid, &status, __WALL) != (pid_t) tid || !WIFSTOPPED(status)) {
        fprintf(stderr, "freeze-thread: thread %ld did not stop\n", tid);
        return 1;
    }
    printf("freeze-thread: stopped %ld (%s) of pid %s\n", tid, argv[2], argv[1]);
    fflush(stdout);
    for (;;) pause();
}
