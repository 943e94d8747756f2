/*
 * jinit-exec [-c CGROUP] [-u UID] [-g GID] [-G GID,GID,...]... [-d DIR] [-p SEARCHPATH] [-l] [-w] [-r FD] -- PROGRAM ARGV0 [ARG...]
 *
 * The last step between jinit's posix_spawn and a job's program. It runs as root, in the child, and:
 *   0. joins the cgroup directory CGROUP (-c) by writing "0" to its cgroup.procs, while still root and before
 *      anything else: the job's program starts inside it, so nothing it forks is ever outside (glibc older than
 *      2.41 cannot spawn into a cgroup);
 *   1. sets groups and gid (-G, -g), then the effective uid (-u) alone: real and saved uids stay 0, so the
 *      job's user cannot signal or ptrace this process while it still holds root's ids;
 *   2. changes to DIR (-d) and finds PROGRAM (in SEARCHPATH when it has no slash, -p), both with the job's
 *      effective ids: a user learns nothing about directories it could not search itself;
 *   3. reports the outcome of 1-2 on FD (-r) as 8 bytes, {int step, int errno} in native order, step 0 = ready;
 *      the fd is close-on-exec, so jinit's read sees end of file if this process dies before reporting;
 *   4. sets LISTEN_PID to its own pid (-l; sd_listen_fds(3) accepts passed fds only for that pid, which
 *      posix_spawn cannot tell jinit before the exec), and WATCHDOG_PID likewise (-w);
 *   5. sets every uid to UID (after which the user may signal it: nothing is left but the exec) and execv()s.
 *
 * Why a helper: credentials in Linux are per thread, and a JVM thread that switched to the user's real uid
 * could be signalled by that user (a SIGSEGV sent to PID 1 panics the kernel). Dropping them here means no
 * thread of init ever carries another identity. It never forks; execv keeps the pid jinit's reaper waits for.
 *
 * A failure after the report (execv itself, e.g. ENOEXEC) is printed to stderr as
 * "jinit-exec: exec PATH: REASON" and the process exits 127, what a shell answers for a command it could not run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_EXEC_FAILED 127

/* Steps as jinit's PosixSpawner names them; keep the two lists in step. */
enum step { READY = 0, SETGROUPS = 1, SETGID = 2, SETUID = 3, CHDIR = 4, SEARCH = 5, CHECK = 6, USAGE = 7, CGROUP = 8 };

static int report_fd = -1;

static void report(enum step step, int err) {
    if (report_fd < 0) return;
    int message[2] = { step, err };
    ssize_t ignored = write(report_fd, message, sizeof message);
    (void) ignored; /* nothing to do if jinit stopped listening */
    close(report_fd);
    report_fd = -1;
}

static _Noreturn void fail(enum step step, int err, const char *what, const char *subject) {
    report(step, err);
    fprintf(stderr, "jinit-exec: %s %s: %s\n", what, subject, strerror(err));
    _exit(EXIT_EXEC_FAILED);
}

static int parse_id(const char *s, unsigned *out) {
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno != 0 || v > INT_MAX) return -1;
    *out = (unsigned) v;
    return 0;
}

/*
 * Appends the comma-separated gids in s to *groups (realloc'd); an empty list adds none. -G may come more than
 * once, because one argument holds at most 128 KiB (MAX_ARG_STRLEN) and a user may have 65,536 groups.
 */
static int parse_groups(const char *s, gid_t **groups, size_t *count) {
    size_t more = 1;
    for (const char *c = s; *c; c++) more += *c == ',';
    gid_t *grown = realloc(*groups, (*count + more) * sizeof **groups);
    if (grown == NULL) return -1;
    *groups = grown;
    if (*s == '\0') return 0;
    char *copy = strdup(s);
    if (copy == NULL) return -1;
    int result = 0;
    for (char *save = NULL, *part = strtok_r(copy, ",", &save); part != NULL; part = strtok_r(NULL, ",", &save)) {
        unsigned gid;
        if (parse_id(part, &gid) != 0) { result = -1; break; }
        (*groups)[(*count)++] = gid;
    }
    free(copy);
    return result;
}

/* Moves this process into the cgroup directory dir: 0, or the errno of the open or the write. */
static int join_cgroup(const char *dir) {
    char procs[PATH_MAX];
    int n = snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
    if (n < 0 || (size_t) n >= sizeof procs) return ENAMETOOLONG;
    int fd = open(procs, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    int err = write(fd, "0", 1) == 1 ? 0 : errno;
    close(fd);
    return err;
}

/* What execv would accept, judged with the effective ids: 0, or the errno execv would give. */
static int runnable(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return errno;
    if (!S_ISREG(st.st_mode)) return EACCES;
    return faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) == 0 ? 0 : errno;
}

/*
 * execvp's search, without executing: the first runnable PROGRAM in SEARCHPATH. An empty entry means the
 * current directory. EACCES is remembered and the search goes on, as execvp does; ENOENT if nothing is there.
 */
static int search(const char *program, const char *searchpath, char *found, size_t size) {
    int denied = 0;
    const char *entry = searchpath;
    while (1) {
        const char *end = strchr(entry, ':');
        size_t length = end ? (size_t) (end - entry) : strlen(entry);
        int n = length == 0 ? snprintf(found, size, "%s", program)
                            : snprintf(found, size, "%.*s/%s", (int) length, entry, program);
        if (n > 0 && (size_t) n < size) {
            int err = runnable(found);
            if (err == 0) return 0;
            if (err == EACCES) denied = 1;
            else if (err != ENOENT && err != ENOTDIR && err != ELOOP && err != ENAMETOOLONG) return err;
        }
        if (end == NULL) return denied ? EACCES : ENOENT;
        entry = end + 1;
    }
}

int main(int argc, char **argv) {
    gid_t *groups = NULL;
    size_t group_count = 0;
    int set_groups = 0, set_gid = 0, set_uid = 0, listen_pid = 0, watchdog_pid = 0;
    unsigned uid = 0, gid = 0;
    const char *dir = NULL, *searchpath = NULL, *cgroup = NULL;

    int i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        const char *option = argv[i];
        if (strcmp(option, "-l") == 0) { listen_pid = 1; continue; }
        if (strcmp(option, "-w") == 0) { watchdog_pid = 1; continue; }
        if (option[0] != '-' || option[1] == '\0' || option[2] != '\0' || i + 1 >= argc) break;
        const char *value = argv[++i];
        unsigned number;
        switch (option[1]) {
            case 'u': if (parse_id(value, &uid) != 0) goto usage; set_uid = 1; break;
            case 'g': if (parse_id(value, &gid) != 0) goto usage; set_gid = 1; break;
            case 'G': if (parse_groups(value, &groups, &group_count) != 0) goto usage; set_groups = 1; break;
            case 'c': cgroup = value; break;
            case 'd': dir = value; break;
            case 'p': searchpath = value; break;
            case 'r':
                if (parse_id(value, &number) != 0) goto usage;
                report_fd = (int) number;
                /* The job must not inherit it, and its closing at exec is what tells jinit all went well. */
                if (fcntl(report_fd, F_SETFD, FD_CLOEXEC) != 0) report_fd = -1;
                break;
            default: goto usage;
        }
    }
    if (i + 2 >= argc) goto usage;
    const char *program = argv[i + 1];
    char **program_argv = argv + i + 2;

    if (cgroup != NULL) {
        int err = join_cgroup(cgroup);
        if (err != 0) fail(CGROUP, err, "join cgroup", cgroup);
    }
    if (set_groups && setgroups(group_count, groups) != 0) fail(SETGROUPS, errno, "setgroups", "");
    if (set_gid && setresgid(gid, gid, gid) != 0) fail(SETGID, errno, "setresgid", "");
    /* Effective uid only: the kernel lets a user signal a process whose real or saved uid is its own. */
    if (set_uid && setresuid(-1, uid, -1) != 0) fail(SETUID, errno, "seteuid", "");

    if (dir != NULL && chdir(dir) != 0) fail(CHDIR, errno, "chdir", dir);

    static char found[PATH_MAX];
    const char *path = program;
    if (strchr(program, '/') == NULL && searchpath != NULL) {
        int err = search(program, searchpath, found, sizeof found);
        if (err != 0) fail(SEARCH, err, "search", program);
        path = found;
    } else {
        int err = runnable(program);
        if (err != 0) fail(CHECK, err, "exec", program);
    }

    if (listen_pid) {
        char pid[24];
        snprintf(pid, sizeof pid, "%ld", (long) getpid());
        /* Overwrites any LISTEN_PID the job's environment carried: only ours can be right. */
        if (setenv("LISTEN_PID", pid, 1) != 0) fail(CHECK, errno, "setenv", "LISTEN_PID");
    }
    if (watchdog_pid) {
        char pid[24];
        snprintf(pid, sizeof pid, "%ld", (long) getpid());
        /* sd_watchdog_enabled(3) heeds WATCHDOG_USEC only in the process WATCHDOG_PID names: this one. */
        if (setenv("WATCHDOG_PID", pid, 1) != 0) fail(CHECK, errno, "setenv", "WATCHDOG_PID");
    }
    report(READY, 0);

    /* Unprivileged now (euid != 0), it may still set all three to a value it holds. */
    if (set_uid && setresuid(uid, uid, uid) != 0) {
        fprintf(stderr, "jinit-exec: setresuid %u: %s\n", uid, strerror(errno));
        _exit(EXIT_EXEC_FAILED);
    }
    execv(path, program_argv);
    fprintf(stderr, "jinit-exec: exec %s: %s\n", path, strerror(errno));
    return EXIT_EXEC_FAILED;

usage:
    report(USAGE, EINVAL);
    fputs("usage: jinit-exec [-c CGROUP] [-u UID] [-g GID] [-G GID,...] [-d DIR] [-p SEARCHPATH] [-l] [-w] [-r FD] -- PROGRAM ARGV0 [ARG...]\n",
          stderr);
    return EXIT_EXEC_FAILED;
}
