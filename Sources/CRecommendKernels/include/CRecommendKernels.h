/// Our own kernels, beside OpenBLAS: gathered dot products and accumulations, sparse × dense
/// products, half-precision conversion and products, HALS sweeps, a tiled transpose, prefetch
/// hints, CPU feature checks and the allocator setting. The hot kernels are `static inline` in
/// these headers, so Swift callers inline them exactly as before; the .c files hold what runs
/// once (CPU checks, allocator). AVX2 kernels return 0 for shapes they do not handle, and are
/// called only where recommend_has_avx2_fma() (and, for half precision, recommend_has_f16c()).
#include "recommend_cpu.h"
#include "recommend_allocator.h"
#include "recommend_prefetch.h"
#include "recommend_gather.h"
#include "recommend_sparse_products.h"
#include "recommend_half_precision.h"
#include "recommend_cg_terms.h"
#include "recommend_hals.h"
#include "recommend_transpose.h"
#include "recommend_crc32c.h"
