/*
 * jinit-exec PATH ARGV0 [ARG...]
 *
 * Sets LISTEN_PID to its own pid, then execv()s PATH with the argument vector ARGV0 ARG...
 * On failure it prints "jinit-exec: exec PATH: REASON" to stderr and exits 127.
 *
 * Why this program exists: systemd's socket-activation protocol (sd_listen_fds) accepts the
 * passed fds only when LISTEN_PID equals the pid of the process reading it. jinit starts jobs
 * with posix_spawn, which reports the pid only after the child has exec'd, so jinit cannot put
 * the pid in the environment itself. It never fork()s in the JVM (a forked JVM child may not run
 * Java code, and a fork of a large heap is slow), and the root filesystem need not have a shell
 * to do `LISTEN_PID=$$ exec ...`. execv() keeps the pid, so the pid this program sees is the
 * pid of the job, and the pid jinit's reaper waits for.
 *
 * Everything else (fds 0-2, the fds passed as 3.., the signal mask, the session, the ids) was
 * set up by posix_spawn before this program ran, and survives the execv unchanged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_EXEC_FAILED 127 /* what a shell returns for a command it could not run */

int main(int argc, char **argv) {
    if (argc < 3) {
        fputs("usage: jinit-exec PATH ARGV0 [ARG...]\n", stderr);
        return EXIT_EXEC_FAILED;
    }
    char pid[24];
    snprintf(pid, sizeof pid, "%ld", (long) getpid());
    /* Overwrites any LISTEN_PID the job's environment carried: only ours can be right. */
    if (setenv("LISTEN_PID", pid, 1) != 0) {
        fprintf(stderr, "jinit-exec: setenv LISTEN_PID: %s\n", strerror(errno));
        return EXIT_EXEC_FAILED;
    }
    /* execv, not execvp: jinit resolves PATH itself, against the job's own PATH. */
    execv(argv[1], argv + 2);
    fprintf(stderr, "jinit-exec: exec %s: %s\n", argv[1], strerror(errno));
    return EXIT_EXEC_FAILED;
}
