/*===- cpuid_mask.c - Run a process as on a CPU without AVX-512 ----------===//
 *
 * LD_PRELOAD'ed by bench/dlp_bench.py --cpu avx2 into both peers (dlp-run
 * and onnxruntime-node), so that one machine measures the two as they run
 * on an AVX2-class CPU (AVX2 + FMA, no AVX-512, no VNNI of either
 * encoding, no AMX): both select their kernels from CPUID at run time.
 *
 * Linux's CPUID faulting (arch_prctl ARCH_SET_CPUID, where the CPU or
 * hypervisor offers it: the `cpuid_fault` flag in /proc/cpuinfo) makes
 * every CPUID instruction of this process raise SIGSEGV; the handler runs
 * the real CPUID with faulting briefly off, clears the feature bits below
 * and steps over the instruction. Threads inherit the setting; exec resets
 * it, and LD_PRELOAD brings it back in the child. A SIGSEGV handler the
 * process installs later (LLVM's stack dump, node's WebAssembly traps) is
 * kept as the one to call for every other fault: sigaction is wrapped.
 *
 * Not part of the toolchain: a measurement aid. Where faulting is not
 * available it says so on stderr and changes nothing; the bench checks
 * for that message and stops.
 *
 *===----------------------------------------------------------------------===*/
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define ARCH_SET_CPUID 0x1012

static struct sigaction previous;

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
  __asm__ volatile("cpuid"
                   : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                   : "a"(leaf), "c"(sub));
}

static void mask(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
  if (leaf == 7 && sub == 0) {
    /* EBX: AVX512 F, DQ, IFMA, PF, ER, CD, BW, VL. */
    r[1] &= ~((1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) |
              (1u << 27) | (1u << 28) | (1u << 30) | (1u << 31));
    /* ECX: AVX512 VBMI, VBMI2, VNNI, BITALG, VPOPCNTDQ. */
    r[2] &= ~((1u << 1) | (1u << 6) | (1u << 11) | (1u << 12) | (1u << 14));
    /* EDX: AVX512 4VNNIW, 4FMAPS, VP2INTERSECT, FP16; AMX BF16, TILE,
       INT8. */
    r[3] &= ~((1u << 2) | (1u << 3) | (1u << 8) | (1u << 22) | (1u << 23) |
              (1u << 24) | (1u << 25));
  } else if (leaf == 7 && sub == 1) {
    /* EAX: AVX-VNNI, AVX512 BF16, AMX FP16; EDX: AVX-VNNI-INT8. */
    r[0] &= ~((1u << 4) | (1u << 5) | (1u << 21));
    r[3] &= ~(1u << 4);
  }
}

static void onSegv(int sig, siginfo_t *info, void *ctx) {
  ucontext_t *uc = (ucontext_t *)ctx;
  const unsigned char *ip = (const unsigned char *)uc->uc_mcontext.gregs[REG_RIP];
  if (info->si_code == SI_KERNEL && ip[0] == 0x0f && ip[1] == 0xa2) {
    uint32_t leaf = (uint32_t)uc->uc_mcontext.gregs[REG_RAX];
    uint32_t sub = (uint32_t)uc->uc_mcontext.gregs[REG_RCX];
    uint32_t r[4];
    syscall(SYS_arch_prctl, ARCH_SET_CPUID, 1);
    cpuid(leaf, sub, r);
    syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0);
    mask(leaf, sub, r);
    uc->uc_mcontext.gregs[REG_RAX] = r[0];
    uc->uc_mcontext.gregs[REG_RBX] = r[1];
    uc->uc_mcontext.gregs[REG_RCX] = r[2];
    uc->uc_mcontext.gregs[REG_RDX] = r[3];
    uc->uc_mcontext.gregs[REG_RIP] += 2;
    return;
  }
  /* Not a CPUID: what the process had before us. */
  if (previous.sa_flags & SA_SIGINFO && previous.sa_sigaction) {
    previous.sa_sigaction(sig, info, ctx);
    return;
  }
  if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN &&
      previous.sa_handler) {
    previous.sa_handler(sig);
    return;
  }
  signal(SIGSEGV, SIG_DFL); /* the instruction faults again, as without us */
}

static int (*realSigaction)(int, const struct sigaction *, struct sigaction *);
static int installed;

int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
  if (!realSigaction)
    realSigaction = (int (*)(int, const struct sigaction *,
                             struct sigaction *))dlsym(RTLD_NEXT, "sigaction");
  if (sig != SIGSEGV || !installed)
    return realSigaction(sig, act, old);
  /* The process's SIGSEGV handler: ours stays, and calls it. */
  if (old)
    *old = previous;
  if (act)
    previous = *act;
  return 0;
}

__attribute__((constructor)) static void install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = onSegv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGSEGV, &sa, &previous) != 0 ||
      syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) != 0) {
    fprintf(stderr, "cpuid_mask: CPUID faulting is not available here\n");
    return;
  }
  installed = 1;
}
