/*
 * The driver clears VM_MAYREAD/VM_MAYWRITE/VM_MAYEXEC for protections missing from the region's
 * mask, so mprotect() can never add them (EACCES). A memfd mapping cannot carry that: the kernel
 * only enforces PROT_WRITE on shared mappings (read-only memfd, F_SEAL_FUTURE_WRITE). The rest is
 * reproduced here: a fixed table of guarded ranges, checked by the exported mprotect() and kept in
 * step by munmap(), mremap() and mmap().
 *
 * This reproduces the driver's errors for programs that go through libc; it is not a security
 * boundary (a raw mprotect system call bypasses it, as it can bypass anything in-process).
 *
 * Readers (mprotect, the hot path) never wait and never take a lock: each slot is a seqlock, and a
 * slot caught mid-update is skipped. Writers (ashmem mmap, munmap/mremap of guarded ranges) are
 * rare and serialise on a spinlock that tolerates fork and signal-handler re-entry. With no guard
 * live, every hook costs one relaxed load.
 */
#include <stdarg.h>
#include "internal.h"
#include "ashmemd_client.h"

struct guard {
	unsigned seq; /* odd while being written */
	unsigned forbid;
	uptr start;
	uptr end; /* 0: free slot */
};

static struct guard g_slots[ASHMEMD_GUARD_SLOTS];
HIDDEN unsigned ashmemd_guard_live;
static unsigned g_top; /* slots at or above this index are free */
static int g_wlock;    /* tid of the writer; 0 when free */

static int slot_read(struct guard *g, uptr *start, uptr *end, unsigned *forbid)
{
	for (int tries = 0; tries < 4; tries++) {
		unsigned s = __atomic_load_n(&g->seq, __ATOMIC_ACQUIRE);
		if (s & 1)
			continue;
		*start = __atomic_load_n(&g->start, __ATOMIC_RELAXED);
		*end = __atomic_load_n(&g->end, __ATOMIC_RELAXED);
		*forbid = __atomic_load_n(&g->forbid, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&g->seq, __ATOMIC_RELAXED) == s)
			return 1;
	}
	return 0;
}

static void slot_write(struct guard *g, uptr start, uptr end, unsigned forbid)
{
	unsigned s = __atomic_load_n(&g->seq, __ATOMIC_RELAXED);
	__atomic_store_n(&g->seq, s + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&g->start, start, __ATOMIC_RELAXED);
	__atomic_store_n(&g->end, end, __ATOMIC_RELAXED);
	__atomic_store_n(&g->forbid, forbid, __ATOMIC_RELAXED);
	__atomic_store_n(&g->seq, s + 2, __ATOMIC_RELEASE);
}

/* 0 when the calling thread already holds it (a signal handler interrupted an update) */
static int wlock(void)
{
	int me = (int)sys_gettid();
	for (unsigned spins = 1;; spins++) {
		int cur = 0;
		if (__atomic_compare_exchange_n(&g_wlock, &cur, me, 0, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return 1;
		if (cur == me)
			return 0;
		/* a holder that is no thread of this process was copied in by fork: take over */
		if ((spins & 63) == 0 && sys_tgkill((int)sys_getpid(), cur, 0) == -ESRCH &&
		    __atomic_compare_exchange_n(&g_wlock, &cur, me, 0, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return 1;
		sys_sched_yield();
	}
}

static void wunlock(void)
{
	__atomic_store_n(&g_wlock, 0, __ATOMIC_RELEASE);
}

/* [start, start + len rounded up to pages); 0 when empty or wrapping */
static int page_range(uptr start, usize len, uptr *end)
{
	uptr ps = ashmemd_page_size();
	uptr rounded = ((uptr)len + ps - 1) & ~(ps - 1);
	if (len == 0 || rounded < len || start + rounded < start)
		return 0;
	*end = start + rounded;
	return 1;
}

static int add_locked(uptr start, uptr end, unsigned forbid)
{
	for (unsigned i = 0; i < ASHMEMD_GUARD_SLOTS; i++) {
		if (g_slots[i].end != 0)
			continue;
		slot_write(&g_slots[i], start, end, forbid);
		if (i >= g_top)
			__atomic_store_n(&g_top, i + 1, __ATOMIC_RELEASE);
		__atomic_add_fetch(&ashmemd_guard_live, 1, __ATOMIC_RELEASE);
		return 0;
	}
	return -ENOMEM;
}

HIDDEN int ashmemd_guard_add(uptr start, uptr len, unsigned forbid)
{
	uptr end;
	if (!page_range(start, len, &end))
		return -EINVAL;
	if (!wlock())
		return -EBUSY;
	int r = add_locked(start, end, forbid & ASHMEMD_PROT_RWX);
	wunlock();
	return r;
}

/* Forgets [start, start + len): the memory there was unmapped or replaced. */
HIDDEN void ashmemd_guard_cut(uptr start, uptr len)
{
	uptr end;
	if (!page_range(start, len, &end))
		return;
	if (!wlock())
		return;
	unsigned top = g_top;
	for (unsigned i = 0; i < top; i++) {
		struct guard *g = &g_slots[i];
		uptr s = g->start, e = g->end;
		unsigned f = g->forbid;
		if (e == 0 || e <= start || s >= end)
			continue;
		if (s < start && e > end) {
			slot_write(g, s, start, f);
			add_locked(end, e, f); /* no slot left: the tail goes unguarded */
		} else if (s < start) {
			slot_write(g, s, start, f);
		} else if (e > end) {
			slot_write(g, end, e, f);
		} else {
			slot_write(g, 0, 0, 0);
			__atomic_sub_fetch(&ashmemd_guard_live, 1, __ATOMIC_RELEASE);
		}
	}
	top = g_top;
	while (top > 0 && g_slots[top - 1].end == 0)
		top--;
	__atomic_store_n(&g_top, top, __ATOMIC_RELEASE);
	wunlock();
}

/* Union of the forbidden bits of the guards overlapping [start, end). */
static unsigned forbidden(uptr start, uptr end)
{
	unsigned top = __atomic_load_n(&g_top, __ATOMIC_ACQUIRE);
	unsigned acc = 0;
	for (unsigned i = 0; i < top; i++) {
		uptr s, e;
		unsigned f;
		if (slot_read(&g_slots[i], &s, &e, &f) && e != 0 && s < end && start < e)
			acc |= f;
	}
	return acc;
}

EXPORT int mprotect(void *addr, size_t len, int prot)
{
	uptr a = (uptr)addr, end;
	if (ashmemd_guards_present() && (a & (ashmemd_page_size() - 1)) == 0 &&
	    page_range(a, len, &end) && (forbidden(a, end) & (unsigned)prot & ASHMEMD_PROT_RWX)) {
		ashmemd_set_errno(EACCES);
		return -1;
	}
	long r = sys_mprotect(addr, len, prot);
	if (r < 0) {
		ashmemd_set_errno((int)-r);
		return -1;
	}
	return 0;
}

EXPORT int munmap(void *addr, size_t len)
{
	long r = sys_munmap(addr, len);
	if (r < 0) {
		ashmemd_set_errno((int)-r);
		return -1;
	}
	if (ashmemd_guards_present())
		ashmemd_guard_cut((uptr)addr, len);
	return 0;
}

EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *new_addr = 0;
	if (flags & MREMAP_FIXED) {
		va_list ap;
		va_start(ap, flags);
		new_addr = va_arg(ap, void *);
		va_end(ap);
	}
	unsigned forbid = 0;
	int tracked = ashmemd_guards_present() != 0;
	if (tracked) {
		uptr end;
		/* old_len 0 duplicates a shared mapping: look at its first page */
		if (page_range((uptr)old, old_len ? old_len : 1, &end))
			forbid = forbidden((uptr)old, end);
	}
	long r = sys_mremap(old, old_len, new_len, flags, new_addr);
	if (sys_failed(r)) {
		ashmemd_set_errno((int)-r);
		return MAP_FAILED;
	}
	if (tracked) {
		if (old_len && !(flags & MREMAP_DONTUNMAP))
			ashmemd_guard_cut((uptr)old, old_len);
		ashmemd_guard_cut((uptr)r, new_len);
		if (forbid)
			ashmemd_guard_add((uptr)r, new_len, forbid);
	}
	return (void *)r;
}

EXPORT int ashmemd_guard_range(void *addr, size_t len, unsigned int prot_mask)
{
	uptr end;
	if (((uptr)addr & (ashmemd_page_size() - 1)) || !page_range((uptr)addr, len, &end))
		return -EINVAL;
	ashmemd_guard_cut((uptr)addr, len);
	unsigned forbid = ~prot_mask & ASHMEMD_PROT_RWX;
	return forbid ? ashmemd_guard_add((uptr)addr, len, forbid) : 0;
}
