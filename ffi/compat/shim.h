/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rust_oom_guard: what the Rust side cannot call through the kernel's bindings, as plain
 * functions of this module (not exported). ffi/compat/shim.c has them,
 * ffi/compat/{mod,k612,irqsave}.rs declares them to Rust. Everything else stays in Rust.
 */
#ifndef OOM_GUARD_SHIM_H
#define OOM_GUARD_SHIM_H

#include <linux/spinlock_types.h>
#include <linux/types.h>

struct file;
struct file_operations;
struct page;
struct poll_table_struct;
struct wait_queue_head;

/* Bytes (8-aligned) the Rust side reserves for a struct miscdevice: MiscStorage, [u64; 16]. */
#define OOM_GUARD_MISC_STORAGE	128

#ifdef OOM_GUARD_VICTIM_PROBE
void oom_guard_tp_sync(void);
#endif

#ifdef OOM_GUARD_K612
int oom_guard_misc_register(void *storage, const char *name,
			    const struct file_operations *fops, umode_t mode);
void oom_guard_misc_deregister(void *storage);
void oom_guard_poll_wait(struct file *filp, struct wait_queue_head *wq,
			 struct poll_table_struct *pt);
void oom_guard_rcu_read_lock(void);
void oom_guard_rcu_read_unlock(void);
int oom_guard_page_to_nid(const struct page *page);
unsigned int oom_guard_page_zonenum(const struct page *page);
#endif

#ifdef OOM_GUARD_K72
unsigned long oom_guard_spin_lock_irqsave(spinlock_t *lock);
int oom_guard_spin_trylock_irqsave(spinlock_t *lock, unsigned long *flags);
void oom_guard_spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags);
#endif

#endif /* OOM_GUARD_SHIM_H */
