/*
 * spawn N THREADS: the machine's floor for starting a job. Each of THREADS threads runs /bin/true with a
 * plain posix_spawn and waits for it with waitpid, N/THREADS times. Prints one JSON line:
 *   {"n":N,"threads":T,"seconds":S,"rate":R,"latency_us":{"p50":A,"p99":B},"latencies_us":[...]}
 * rate is spawns per second, end to end (started and reaped). The latency is posix_spawn's own return,
 * the moment the child exists: the floor under jinit's "request sent -> 201 running".
 * No setsid, signal mask or closefrom: this is the bare cost that any init pays at least once per job.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static long per_thread;
static double *latencies; /* microseconds, one per spawn, thread i writes [i*per_thread, (i+1)*per_thread) */

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void *run(void *arg) {
    double *mine = latencies + (long)arg * per_thread;
    char *argv[] = {"/bin/true", NULL};
    for (long i = 0; i < per_thread; i++) {
        pid_t pid;
        int status;
        double t0 = now_us();
        int err = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
        mine[i] = now_us() - t0;
        if (err != 0) { fprintf(stderr, "spawn: posix_spawn: %s\n", strerror(err)); exit(1); }
        if (waitpid(pid, &status, 0) != pid) { perror("spawn: waitpid"); exit(1); }
    }
    return NULL;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: spawn N THREADS\n"); return 2; }
    long n = atol(argv[1]), threads = atol(argv[2]);
    if (n < 1 || threads < 1 || threads > 256) { fprintf(stderr, "spawn: bad N or THREADS\n"); return 2; }
    per_thread = (n + threads - 1) / threads;
    n = per_thread * threads;
    latencies = calloc(n, sizeof *latencies);
    pthread_t tids[256];
    double t0 = now_us();
    for (long i = 0; i < threads; i++) pthread_create(&tids[i], NULL, run, (void *)i);
    for (long i = 0; i < threads; i++) pthread_join(tids[i], NULL);
    double seconds = (now_us() - t0) / 1e6;
    qsort(latencies, n, sizeof *latencies, by_value);
    printf("{\"n\":%ld,\"threads\":%ld,\"seconds\":%.6f,\"rate\":%.1f,\"latency_us\":{\"p50\":%.1f,\"p99\":%.1f},\"latencies_us\":[",
           n, threads, seconds, n / seconds, latencies[n / 2], latencies[(long)(n * 0.99)]);
    for (long i = 0; i < n; i++) printf(i ? ",%.1f" : "%.1f", latencies[i]);
    printf("]}\n");
    return 0;
}
