// SPDX-License-Identifier: GPL-2.0
/*
 * rust_oom_guard: the C side of the compat layer. Static inlines and a struct the Rust
 * bindings of the running kernel do not reach, wrapped in plain functions that the module
 * calls from Rust (ffi/compat/). Nothing here is exported.
 */
#include <linux/build_bug.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/tracepoint.h>

#include "shim.h"

#ifdef OOM_GUARD_VICTIM_PROBE
/* Waits until no CPU runs a tracepoint probe unregistered before. May sleep. */
void oom_guard_tp_sync(void)
{
	tracepoint_synchronize_unregister();
}
#endif

#ifdef OOM_GUARD_K612
/*
 * Registers a misc device built in @storage (OOM_GUARD_MISC_STORAGE bytes, 8-aligned, pinned
 * until oom_guard_misc_deregister()). misc_open() sets an opened file's private_data to
 * @storage, which is where the Rust side looks for its device.
 */
int oom_guard_misc_register(void *storage, const char *name,
			    const struct file_operations *fops, umode_t mode)
{
	struct miscdevice *m = storage;

	BUILD_BUG_ON(sizeof(struct miscdevice) > OOM_GUARD_MISC_STORAGE);
	BUILD_BUG_ON(__alignof__(struct miscdevice) > 8);

	memset(m, 0, sizeof(*m));
	m->minor = MISC_DYNAMIC_MINOR;
	m->name = name;
	m->fops = fops;
	m->mode = mode;
	return misc_register(m);
}

void oom_guard_misc_deregister(void *storage)
{
	misc_deregister(storage);
}

void oom_guard_poll_wait(struct file *filp, struct wait_queue_head *wq,
			 struct poll_table_struct *pt)
{
	poll_wait(filp, wq, pt);
}

void oom_guard_rcu_read_lock(void)
	__acquires(RCU)
{
	rcu_read_lock();
}

void oom_guard_rcu_read_unlock(void)
	__releases(RCU)
{
	rcu_read_unlock();
}

int oom_guard_page_to_nid(const struct page *page)
{
	return page_to_nid(page);
}

unsigned int oom_guard_page_zonenum(const struct page *page)
{
	return page_zonenum(page);
}
#endif /* OOM_GUARD_K612 */

#ifdef OOM_GUARD_K72
/* The irqsave spinlock of ffi/compat/irqsave.rs (7.3 has SpinLockIrq). */
unsigned long oom_guard_spin_lock_irqsave(spinlock_t *lock)
	__acquires(lock)
{
	unsigned long flags;

	spin_lock_irqsave(lock, flags);
	return flags;
}

/* Takes @lock with interrupts off if it is free: 1 and the saved flags in @flags, else 0. */
int oom_guard_spin_trylock_irqsave(spinlock_t *lock, unsigned long *flags)
{
	unsigned long f;

	if (!spin_trylock_irqsave(lock, f))
		return 0;
	*flags = f;
	return 1;
}

void oom_guard_spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
	__releases(lock)
{
	spin_unlock_irqrestore(lock, flags);
}
#endif /* OOM_GUARD_K72 */
