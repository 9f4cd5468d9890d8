/* A/B microbenchmark of a hash kernel change: two builds of hash.c + cpu.c (the module's flags), loaded side
 * by side, lv_hash_64(algo, path, n) timed by thread CPU time, the builds taking turns (A B, B A, ...), min
 * and median ns a message of each; the digests of both must agree.  Build and run (from the repo root; A
 * from another checkout's native/src, e.g. main's):
 *   gcc -O2 benches/hash_ab.c -o /tmp/hash_ab -ldl
 *   for v in A:/work/main/native/src B:native/src; do gcc -O3 -g -fwrapv -fPIC -std=gnu11 \
 *     -fno-strict-aliasing -DNDEBUG -Wall -Wno-unused-function -shared -I${v#*:} ${v#*:}/hash.c \
 *     ${v#*:}/cpu.c -o /tmp/${v%%:*}.so; done
 *   /tmp/hash_ab /tmp/A.so /tmp/B.so 0 3 8192 40   # algo 0 sha256, path 3 avx2
 * (algo and path are hash.h's constants: a forced path runs as named, whatever else the CPU has). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
typedef int (*h64_fn)(int, int, const uint8_t *, size_t, uint8_t *);
typedef uint32_t (*mask_fn)(uint32_t);
static double tcpu(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec * 1e9 + t.tv_nsec; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
int main(int argc, char **argv) {
    if (argc < 7) { fprintf(stderr, "usage: harness A.so B.so algo path n runs\n"); return 2; }
    int algo = atoi(argv[3]), path = atoi(argv[4]); size_t n = atol(argv[5]); int runs = atoi(argv[6]);
    h64_fn f[2]; void *h[2];
    for (int k = 0; k < 2; k++) {
        h[k] = dlopen(argv[1 + k], RTLD_NOW | RTLD_LOCAL);
        if (!h[k]) { fprintf(stderr, "%s\n", dlerror()); return 1; }
        f[k] = (h64_fn)dlsym(h[k], "lv_hash_64");
    }
    uint8_t *in = malloc(64 * n), *out[2] = {malloc(32 * n), malloc(32 * n)};
    for (size_t i = 0; i < 64 * n; i++) in[i] = (uint8_t)(i * 2654435761u >> 13);
    double *t[2] = {malloc(sizeof(double) * runs), malloc(sizeof(double) * runs)};
    for (int k = 0; k < 2; k++) if (f[k](algo, path, in, n, out[k])) { fprintf(stderr, "rc\n"); return 1; }
    if (memcmp(out[0], out[1], 32 * n)) { fprintf(stderr, "MISMATCH\n"); return 1; }
    for (int r = 0; r < runs; r++)
        for (int k0 = 0; k0 < 2; k0++) {
            int k = (r & 1) ? 1 - k0 : k0;
            double a = tcpu(); f[k](algo, path, in, n, out[k]); t[k][r] = (tcpu() - a) / n;
        }
    for (int k = 0; k < 2; k++) {
        qsort(t[k], runs, sizeof(double), cmp);
        printf("%s: min %.2f  med %.2f ns/msg\n", k ? "B" : "A", t[k][0], t[k][runs / 2]);
    }
    printf("B/A min %.3f med %.3f\n", t[1][0] / t[0][0], t[1][runs / 2] / t[0][runs / 2]);
    return 0;
}
