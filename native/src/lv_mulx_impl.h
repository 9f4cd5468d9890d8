/* The 512-bit square of a 4x64 value in MULX assembly, shared by the 4x64 MULX/ADX fields of secp256k1
 * (secp256k1_field_adx_impl.h) and of P-256/SM2 (wei3_field_impl.h), which differ only in the reduction that
 * follows.  The six cross products once, doubled, plus the four squares: 10 MULX instead of 16.  A string
 * for an __asm__ statement whose operands are named t0..t7 (the product's limbs, little-endian, outputs),
 * lo and hi (scratch outputs) and a (the input's four limbs, by address); it clobbers rdx and the flags. */
#ifndef LV_MULX_IMPL_H
#define LV_MULX_IMPL_H

#define LV_MULX_SQR512 \
    "movq 0(%[a]), %%rdx\n\t" \
    "mulxq 8(%[a]), %[t1], %[t2]\n\t" \
    "mulxq 16(%[a]), %[lo], %[t3]\n\t" "addq %[lo], %[t2]\n\t" \
    "mulxq 24(%[a]), %[lo], %[t4]\n\t" "adcq %[lo], %[t3]\n\t" "adcq $0, %[t4]\n\t" \
    "movq 8(%[a]), %%rdx\n\t" \
    "mulxq 16(%[a]), %[lo], %[hi]\n\t" \
    "mulxq 24(%[a]), %[t0], %[t5]\n\t" \
    "addq %[lo], %[t3]\n\t" "adcq %[hi], %[t4]\n\t" "adcq $0, %[t5]\n\t" \
    "addq %[t0], %[t4]\n\t" "adcq $0, %[t5]\n\t" \
    "movq 16(%[a]), %%rdx\n\t" \
    "mulxq 24(%[a]), %[lo], %[t6]\n\t" \
    "addq %[lo], %[t5]\n\t" "adcq $0, %[t6]\n\t" \
    "xorl %k[t7], %k[t7]\n\t" \
    "addq %[t1], %[t1]\n\t" "adcq %[t2], %[t2]\n\t" "adcq %[t3], %[t3]\n\t" "adcq %[t4], %[t4]\n\t" \
    "adcq %[t5], %[t5]\n\t" "adcq %[t6], %[t6]\n\t" "adcq $0, %[t7]\n\t" \
    "movq 0(%[a]), %%rdx\n\t" "mulxq %%rdx, %[t0], %[hi]\n\t" "addq %[hi], %[t1]\n\t" \
    "movq 8(%[a]), %%rdx\n\t" "mulxq %%rdx, %[lo], %[hi]\n\t" "adcq %[lo], %[t2]\n\t" "adcq %[hi], %[t3]\n\t" \
    "movq 16(%[a]), %%rdx\n\t" "mulxq %%rdx, %[lo], %[hi]\n\t" "adcq %[lo], %[t4]\n\t" "adcq %[hi], %[t5]\n\t" \
    "movq 24(%[a]), %%rdx\n\t" "mulxq %%rdx, %[lo], %[hi]\n\t" "adcq %[lo], %[t6]\n\t" "adcq %[hi], %[t7]\n\t"

/* The 512-bit product of two 4x64 values, a row of MULX per limb of b with the low halves on the CF chain
 * (ADCX) and the high halves on the OF chain (ADOX): 16 MULX.  The same operand names as LV_MULX_SQR512,
 * plus b (by address).  Used by the secp256k1 and Ed25519 4x64 fields. */
#define LV_MULX_ROW(OFF, T0, T1, T2, T3, T4)                                                                 \
    "movq " OFF "(%[b]), %%rdx\n\t" "xorl %k[" T4 "], %k[" T4 "]\n\t"                                    \
    "mulxq 0(%[a]), %[lo], %[hi]\n\t" "adcxq %[lo], %[" T0 "]\n\t" "adoxq %[hi], %[" T1 "]\n\t"          \
    "mulxq 8(%[a]), %[lo], %[hi]\n\t" "adcxq %[lo], %[" T1 "]\n\t" "adoxq %[hi], %[" T2 "]\n\t"          \
    "mulxq 16(%[a]), %[lo], %[hi]\n\t" "adcxq %[lo], %[" T2 "]\n\t" "adoxq %[hi], %[" T3 "]\n\t"         \
    "mulxq 24(%[a]), %[lo], %[hi]\n\t" "adcxq %[lo], %[" T3 "]\n\t" "adoxq %[hi], %[" T4 "]\n\t"         \
    "movl $0, %k[lo]\n\t" "adcxq %[lo], %[" T4 "]\n\t"

#define LV_MULX_MUL512 \
    "movq 0(%[b]), %%rdx\n\t" \
    "mulxq 0(%[a]), %[t0], %[t1]\n\t" \
    "mulxq 8(%[a]), %[lo], %[t2]\n\t" "addq %[lo], %[t1]\n\t" \
    "mulxq 16(%[a]), %[lo], %[t3]\n\t" "adcq %[lo], %[t2]\n\t" \
    "mulxq 24(%[a]), %[lo], %[t4]\n\t" "adcq %[lo], %[t3]\n\t" "adcq $0, %[t4]\n\t" \
    LV_MULX_ROW("8", "t1", "t2", "t3", "t4", "t5") \
    LV_MULX_ROW("16", "t2", "t3", "t4", "t5", "t6") \
    LV_MULX_ROW("24", "t3", "t4", "t5", "t6", "t7")

#endif
