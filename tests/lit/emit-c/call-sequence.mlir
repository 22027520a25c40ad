// RUN: cmsis-opt %S/Inputs/tiny.mlir -p default -t c | filecheck %s
// RUN: not cmsis-opt %S/Inputs/tiny.mlir --bufferize --liveness -t c 2>&1 | filecheck %s --check-prefix=UNPLANNED
// UNPLANNED: error: C backend: C emission needs a planned arena: run the memory passes first (-p default, or --arena-alloc)
// One comment and one call per kernel op, in order; statuses checked where the API returns one.

// CHECK: #define TINY_ARENA_SIZE {{[0-9]+}}
// CHECK: int tiny_invoke(void){{$}}
// CHECK: /* conv1: cmsis.conv 1x4x4x2 -> 1x4x4x3; in @[[IN:[0-9]+]], out @[[CONV:[0-9]+]], scratch @{{[0-9]+}} (80 B) */
// CHECK-NEXT: status = arm_convolve_wrapper_s8(
// CHECK-NEXT: &tiny_conv1_ctx,
// CHECK: if (status != ARM_CMSIS_NN_SUCCESS) {
// CHECK-NEXT: return (int)status;
// CHECK: /* pool: cmsis.max_pool 1x4x4x3 -> 1x1x1x3; in @[[CONV]], out @[[POOL:[0-9]+]] */
// CHECK-NEXT: status = arm_max_pool_s8(
// CHECK-NEXT: &tiny_pool_ctx,
// CHECK: /* softmax: cmsis.softmax 1x3 -> 1x3; in @[[POOL]], out @{{[0-9]+}} */
// CHECK-NEXT: arm_softmax_s8(tiny_arena + [[POOL]], 1, 3, 1073741824, 20, -248, tiny_arena + {{[0-9]+}});
// CHECK: return 0;
