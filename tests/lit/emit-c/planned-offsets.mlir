// RUN: cmsis-opt %s -t c | filecheck %s
// The planned offsets of arena.buffer / arena.scratch become arena pointers;
// the reshape is a view of the pool's bytes and emits no call.

func.func @planned(%x: tensor<1x2x2x4x!quant.uniform<i8:f32, 0.5:-1>>) -> tensor<1x16x!quant.uniform<i8:f32, 0.5:-1>> attributes {arena.plan = #arena.plan<size = 48, alignment = 16, strategy = "by hand">} {
  %p = cmsis.avg_pool %x {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, act_min = -128 : i32, act_max = 127 : i32, layer = "avg"} : (tensor<1x2x2x4x!quant.uniform<i8:f32, 0.5:-1>>) -> tensor<1x2x2x4x!quant.uniform<i8:f32, 0.5:-1>>
  %r = cmsis.reshape %p {layer = "flatten"} : (tensor<1x2x2x4x!quant.uniform<i8:f32, 0.5:-1>>) -> tensor<1x16x!quant.uniform<i8:f32, 0.5:-1>>
  arena.buffer %x {name = "input", size = 16 : i64, offset = 32 : i64} : tensor<1x2x2x4x!quant.uniform<i8:f32, 0.5:-1>>
  arena.buffer %p {name = "avg", size = 16 : i64, offset = 0 : i64} : tensor<1x2x2x4x!quant.uniform<i8:f32, 0.5:-1>>
  arena.scratch %p {name = "avg.scratch", size = 16 : i64, offset = 16 : i64} : tensor<1x2x2x4x!quant.uniform<i8:f32, 0.5:-1>>
  func.return %r : tensor<1x16x!quant.uniform<i8:f32, 0.5:-1>>
}

// CHECK: // ----- planned.h
// CHECK: #define PLANNED_ARENA_SIZE 48
// CHECK: #define PLANNED_OUTPUT_SHAPE {1, 16}
// CHECK: int planned_invoke(void);
// CHECK: // ----- planned.c
// CHECK: static int8_t planned_arena[PLANNED_ARENA_SIZE] PLANNED_ALIGNED;
// CHECK: static const cmsis_nn_context planned_avg_ctx = {.buf = planned_arena + 16, .size = 16};
// CHECK: int8_t *planned_input(void){{$}}
// CHECK-NEXT: {
// CHECK-NEXT: return planned_arena + 32;
// CHECK: int8_t *planned_output(void){{$}}
// CHECK-NEXT: {
// CHECK-NEXT: return planned_arena + 0;
// CHECK: int planned_invoke(void){{$}}
// CHECK: /* avg: cmsis.avg_pool 1x2x2x4 -> 1x2x2x4; in @32, out @0, scratch @16 (16 B) */
// CHECK-NEXT: status = arm_avgpool_s8(
// CHECK-NEXT: &planned_avg_ctx,
// CHECK: planned_arena + 32,
// CHECK: planned_arena + 0);
// CHECK-NOT: arm_
// CHECK: return 0;
