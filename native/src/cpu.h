#ifndef LV_CPU_H
#define LV_CPU_H
#include <stdint.h>

#define LV_CPU_AVX2        (1u << 0)
#define LV_CPU_BMI2        (1u << 1)
#define LV_CPU_ADX         (1u << 2)
#define LV_CPU_SHA         (1u << 3)
#define LV_CPU_AVX512F     (1u << 4)
#define LV_CPU_AVX512BW    (1u << 5)
#define LV_CPU_AVX512VL    (1u << 6)
#define LV_CPU_AVX512IFMA  (1u << 7)
#define LV_CPU_AVX512VBMI  (1u << 8)
#define LV_CPU_SSE41       (1u << 9)

/* Detected features AND the mask set by lv_cpu_set_mask (all ones by default). Every kernel family
 * dispatches on this, so masking forces the portable paths everywhere. */
uint32_t lv_cpu_features(void);
uint32_t lv_cpu_set_mask(uint32_t mask);

#endif
