// RUN: cmsis-opt %S/Inputs/tiny.mlir --bufferize --liveness --inplace-alias --arena-alloc --verify-arena -o %t.mlir
// RUN: rm -rf %t.d && mkdir %t.d && cmsis-opt %t.mlir -t c -o %t.d/tiny.c
// RUN: cat %t.mlir %t.d/tiny.h %t.d/tiny.c | filecheck %s
// The C arena is exactly the planned arena size, and each call's comment and
// pointers use the offsets that --arena-alloc chose. `-o tiny.c` also writes
// tiny.h beside it.

// CHECK: arena.plan = #arena.plan<size = [[SIZE:[0-9]+]],
// CHECK: arena.buffer %x {name = "input"{{.*}}offset = [[IN:[0-9]+]] : i64}
// CHECK: arena.buffer %c {name = "conv1"{{.*}}offset = [[CONV:[0-9]+]] : i64}
// CHECK: arena.scratch %c {name = "conv1.scratch"{{.*}}offset = [[SCRATCH:[0-9]+]] : i64}
// CHECK: arena.buffer %p {name = "pool"{{.*}}offset = [[POOL:[0-9]+]] : i64}
// CHECK: arena.buffer %s {name = "softmax"{{.*}}offset = [[OUT:[0-9]+]] : i64}
// CHECK: #define TINY_ARENA_SIZE [[SIZE]]{{$}}
// CHECK: static int8_t tiny_arena[TINY_ARENA_SIZE] TINY_ALIGNED;
// CHECK: {.buf = tiny_arena + [[SCRATCH]], .size = 80}
// CHECK: return tiny_arena + [[IN]];
// CHECK: return tiny_arena + [[OUT]];
// CHECK: /* conv1: cmsis.conv 1x4x4x2 -> 1x4x4x3; in @[[IN]], out @[[CONV]], scratch @[[SCRATCH]] (80 B) */
// CHECK: /* pool: cmsis.max_pool 1x4x4x3 -> 1x1x1x3; in @[[CONV]], out @[[POOL]] */
// CHECK: /* softmax: cmsis.softmax 1x3 -> 1x3; in @[[POOL]], out @[[OUT]] */
// CHECK-NEXT: arm_softmax_s8(tiny_arena + [[POOL]],
