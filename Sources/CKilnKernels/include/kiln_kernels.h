/* Generated from Sources/KilnCodegen/KernelLibrary.swift (KernelLibraryTests checks it). */
#ifndef KILN_KERNELS_H
#define KILN_KERNELS_H

void kiln_lib_im2col_f32(const float *in, float *col, long ld, long c_, long h, long w, long kh, long kw,
                             long sh, long sw, long ph, long pw, long dh, long dw, long ho, long wo);
void kiln_lib_col2im_f32(float *col, float *out, long ld, long c_, long h, long w, long kh, long kw,
                             long sh, long sw, long ph, long pw, long dh, long dw, long hi, long wi);
void kiln_lib_max_pool_f32(float *out, const float *x, long lo, long hi, long h, long w, long ho, long wo, long kh, long kw, long sh, long sw, long ph, long pw);
void kiln_lib_avg_pool_f32(float *out, const float *x, long lo, long hi, long h, long w, long ho, long wo, long kh, long kw, long sh, long sw, long ph, long pw);
void kiln_lib_max_pool_grad_f32(float *out, const float *x, const float *grad, long lo, long hi, long h, long w, long ho, long wo, long kh, long kw, long sh, long sw, long ph, long pw);
void kiln_lib_avg_pool_grad_f32(float *out, const float *grad, long lo, long hi, long h, long w, long ho, long wo, long kh, long kw, long sh, long sw, long ph, long pw);
void kiln_lib_im2col_f64(const double *in, double *col, long ld, long c_, long h, long w, long kh, long kw,
                             long sh, long sw, long ph, long pw, long dh, long dw, long ho, long wo);
void kiln_lib_col2im_f64(double *col, double *out, long ld, long c_, long h, long w, long kh, long kw,
                             long sh, long sw, long ph, long pw, long dh, long dw, long hi, long wi);
void kiln_lib_max_pool_f64(double *out, const double *x, long lo, long hi, long h, long w, long ho, long wo, long kh, long kw, long sh, long sw, long ph, long pw);
void kiln_lib_avg_pool_f64(double *out, const double *x, long lo, long hi, long h, long w, long ho, long wo, long kh, long kw, long sh, long sw, long ph, long pw);
void kiln_lib_max_pool_grad_f64(double *out, const double *x, const double *grad, long lo, long hi, long h, long w, long ho, long wo, long kh, long kw, long sh, long sw, long ph, long pw);
void kiln_lib_avg_pool_grad_f64(double *out, const double *grad, long lo, long hi, long h, long w, long ho, long wo, long kh, long kw, long sh, long sw, long ph, long pw);

#endif
