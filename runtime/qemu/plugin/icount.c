/* A QEMU TCG plugin that counts the guest instructions executed between two
 * markers, for instruction counts per inference on the emulated Cortex-M
 * boards.
 *
 * The markers are the Thumb-2 hints `dbg #1` (begin) and `dbg #2` (end).
 * DBG is a hint instruction: a Cortex-M core without a debug hint
 * implementation, and QEMU, execute it as a no-op, and compilers never emit
 * it, so the two cannot be confused with the program's own code. At each end
 * marker the plugin writes one line, the number of instructions executed
 * after the last begin marker and before this end marker (the markers
 * themselves are not counted), to the file given as `out=FILE`, or with
 * qemu_plugin_outs() (shown with `-d plugin`) when there is none:
 *
 *     qemu-system-arm ... -plugin icount.so,out=counts.txt
 *
 * Every other translated instruction carries an inline 64-bit add of one,
 * placed before the instruction: an instruction counts when it is issued,
 * whether or not its condition passes (an IT block's skipped instructions
 * count, as a not-taken branch does). The count is exact for one vCPU (the
 * boards here have one); with several, the shared counter would mix them.
 *
 * QEMU does not ship qemu-plugin.h in Debian's qemu-system-arm package, so the
 * few types and functions used here are declared below, as QEMU's plugin API
 * documentation describes them for plugin API version 1 (QEMU 7.x and 8.x).
 * A plugin is loaded with dlopen(); these functions resolve against the QEMU
 * binary itself.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define PLUGIN_EXPORT __attribute__((visibility("default")))

/* --- the plugin API, version 1 (declared here; not QEMU's header) --- */
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t; /* only passed through */
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS = 0 };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 = 0 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op, void *ptr,
                                                uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
void qemu_plugin_outs(const char *string);

PLUGIN_EXPORT extern int qemu_plugin_version;
PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv);
/* --- end of the API declarations --- */

PLUGIN_EXPORT int qemu_plugin_version = 1;

enum { MARK_BEGIN = 1, MARK_END = 2 };

static uint64_t executed;   /* every instruction but the markers, since the start */
static uint64_t begun_at;   /* `executed` at the last begin marker */
static int inside;          /* a begin marker ran and its end has not */
static FILE *out;           /* NULL: qemu_plugin_outs */

/* The option of a Thumb-2 `dbg #option` (bytes AF F3 Fx 80), or -1 for any other instruction. */
static int dbg_option(const struct qemu_plugin_insn *insn)
{
    const uint8_t *b = qemu_plugin_insn_data(insn);
    if (qemu_plugin_insn_size(insn) != 4 || b[0] != 0xAF || b[1] != 0xF3 || (b[2] & 0xF0) != 0xF0 || b[3] != 0x80) {
        return -1;
    }
    return b[2] & 0x0F;
}

static void report(const char *line)
{
    if (out != NULL) {
        fputs(line, out);
        fflush(out); /* complete even if the guest ends QEMU abruptly */
    } else {
        qemu_plugin_outs(line);
    }
}

static void on_marker(unsigned int vcpu_index, void *userdata)
{
    (void)vcpu_index;
    if ((uintptr_t)userdata == MARK_BEGIN) {
        begun_at = executed;
        inside = 1;
    } else if (inside) {
        char line[32];
        snprintf(line, sizeof line, "%llu\n", (unsigned long long)(executed - begun_at));
        report(line);
        inside = 0;
    }
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    const size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        const int option = dbg_option(insn);
        if (option == MARK_BEGIN || option == MARK_END) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_NO_REGS,
                                                   (void *)(uintptr_t)option);
        } else {
            qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &executed, 1);
        }
    }
}

static void at_quit(qemu_plugin_id_t id, void *userdata)
{
    (void)id;
    (void)userdata;
    if (out != NULL) {
        fclose(out);
        out = NULL;
    }
}

PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "out=", 4) == 0) {
            out = fopen(argv[i] + 4, "w");
            if (out == NULL) {
                fprintf(stderr, "icount: cannot write %s\n", argv[i] + 4);
                return 1;
            }
        } else {
            fprintf(stderr, "icount: unknown option '%s' (known: out=FILE)\n", argv[i]);
            return 1;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, at_quit, NULL);
    return 0;
}
