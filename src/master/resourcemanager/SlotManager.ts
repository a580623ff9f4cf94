import { randomHex } from '../../common/ids.js';
import type { SlotStatus } from './types.js';

/** A slot handed to a job: which TaskManager, which of its slots, and the allocation's id. */
export interface SlotAssignment {
  resourceId: string;
  slotIndex: number;
  allocationId: string;
}

interface Allocation {
  allocationId: string;
  jobId: string;
  /**
   * Reported by the TaskManager when it registered (its subtasks ran on while no JobManager led) and not taken over by
   * a job since: it stays taken until a job adopts it or the TaskManager reports the slot free.
   */
  reported: boolean;
}

/**
 * The ResourceManager's view of every registered TaskManager's slots (Flink's SlotManager): how many each offers and
 * which are allocated to which job. The JobManager is the authority on allocations; TaskManagers learn theirs with the
 * tasks deployed into them. The exception is a TaskManager that registers with slots still allocated (it kept its
 * subtasks running while no JobManager led): those slots are taken until a job reconciles with them or the
 * TaskManager reports them free.
 */
export class SlotManager {
  private readonly slotCount = new Map<string, number>();
  private readonly allocations = new Map<string, Map<number, Allocation>>();

  registerTaskManager(resourceId: string, slots: readonly SlotStatus[]): void {
    this.slotCount.set(resourceId, slots.length);
    const reported = new Map<number, Allocation>();
    for (const { slotIndex, allocationId, jobId } of slots) if (allocationId) reported.set(slotIndex, { allocationId, jobId, reported: true });
    this.allocations.set(resourceId, reported);
  }

  /** A job takes over a slot its TaskManager reported allocated to it (reconciliation); false if no such slot is reported. */
  adoptSlot(jobId: string, { resourceId, slotIndex, allocationId }: SlotAssignment): boolean {
    const allocation = this.allocations.get(resourceId)?.get(slotIndex);
    if (!allocation?.reported || allocation.allocationId !== allocationId || allocation.jobId !== jobId) return false;
    allocation.reported = false;
    return true;
  }

  /**
   * A TaskManager's slot report (with every heartbeat): a reported allocation that no job took over is released once
   * the TaskManager no longer holds it. Returns how many slots were released.
   */
  reportSlots(resourceId: string, slots: readonly SlotStatus[]): number {
    const allocations = this.allocations.get(resourceId);
    if (!allocations) return 0;
    let released = 0;
    for (const [slotIndex, allocation] of allocations) {
      if (!allocation.reported || slots.some((s) => s.slotIndex === slotIndex && s.allocationId === allocation.allocationId)) continue;
      allocations.delete(slotIndex);
      released++;
    }
    return released;
  }

  unregisterTaskManager(resourceId: string): void {
    this.slotCount.delete(resourceId);
    this.allocations.delete(resourceId);
  }

  /** Slot statuses of one TaskManager as this SlotManager sees them. */
  slotsOf(resourceId: string): SlotStatus[] {
    const count = this.slotCount.get(resourceId) ?? 0;
    const allocated = this.allocations.get(resourceId);
    return Array.from({ length: count }, (_, slotIndex) => {
      const allocation = allocated?.get(slotIndex);
      return { slotIndex, allocationId: allocation?.allocationId ?? '', jobId: allocation?.jobId ?? '' };
    });
  }

  freeSlotsOf(resourceId: string): number {
    return (this.slotCount.get(resourceId) ?? 0) - (this.allocations.get(resourceId)?.size ?? 0);
  }

  getNumberRegisteredSlots(): number {
    let total = 0;
    for (const count of this.slotCount.values()) total += count;
    return total;
  }

  getNumberFreeSlots(): number {
    let free = 0;
    for (const resourceId of this.slotCount.keys()) free += this.freeSlotsOf(resourceId);
    return free;
  }

  /**
   * Allocates `count` slots for a job, spread over the TaskManagers (one at a time from the one with the most free
   * slots), or none at all when there are not enough free slots.
   */
  allocateSlots(jobId: string, count: number): SlotAssignment[] | undefined {
    if (this.getNumberFreeSlots() < count) return undefined;
    const free = new Map<string, number[]>();
    for (const [resourceId, slots] of this.slotCount) {
      const taken = this.allocations.get(resourceId)!;
      free.set(resourceId, Array.from({ length: slots }, (_, i) => i).filter((i) => !taken.has(i)));
    }
    const result: SlotAssignment[] = [];
    while (result.length < count) {
      const [resourceId, indices] = [...free.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))[0]!;
      const slotIndex = indices.shift()!;
      const allocationId = randomHex(16);
      this.allocations.get(resourceId)!.set(slotIndex, { allocationId, jobId, reported: false });
      result.push({ resourceId, slotIndex, allocationId });
    }
    return result;
  }

  /**
   * Frees every slot a job holds, those it adopted included. Slots only reported allocated to it stay taken until their
   * TaskManager reports them free: their subtasks may still be running there.
   */
  freeSlots(jobId: string): void {
    for (const slots of this.allocations.values()) {
      for (const [index, allocation] of slots) if (allocation.jobId === jobId && !allocation.reported) slots.delete(index);
    }
  }
}
