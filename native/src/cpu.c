#include "cpu.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t xgetbv0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

static uint32_t detect(void) {
    uint32_t a, b, c, d, f = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int osxsave = (c >> 27) & 1;
    if ((c >> 19) & 1) f |= LV_CPU_SSE41;
    uint64_t xcr0 = osxsave ? xgetbv0() : 0;
    int ymm_ok = (xcr0 & 0x6) == 0x6;
    int zmm_ok = (xcr0 & 0xe6) == 0xe6;
    if (__get_cpuid_max(0, 0) < 7) return f;
    __cpuid_count(7, 0, a, b, c, d);
    if (((b >> 5) & 1) && ymm_ok) f |= LV_CPU_AVX2;
    if ((b >> 8) & 1) f |= LV_CPU_BMI2;
    if ((b >> 19) & 1) f |= LV_CPU_ADX;
    if ((b >> 29) & 1) f |= LV_CPU_SHA;
    if (zmm_ok) {
        if ((b >> 16) & 1) f |= LV_CPU_AVX512F;
        if ((b >> 30) & 1) f |= LV_CPU_AVX512BW;
        if ((b >> 31) & 1) f |= LV_CPU_AVX512VL;
        if ((b >> 21) & 1) f |= LV_CPU_AVX512IFMA;
        if ((c >> 1) & 1) f |= LV_CPU_AVX512VBMI;
    }
    return f;
}
#else
static uint32_t detect(void) { return 0; }
#endif

static uint32_t g_mask = 0xffffffffu;
static uint32_t g_detected;
static int g_done;

uint32_t lv_cpu_features(void) {
    if (!g_done) { g_detected = detect(); g_done = 1; }
    return g_detected & g_mask;
}

uint32_t lv_cpu_set_mask(uint32_t mask) {
    uint32_t old = g_mask;
    g_mask = mask;
    return old;
}
