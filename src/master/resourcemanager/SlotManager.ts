import type { SlotStatus } from './types.js';

/**
 * Keeps the ResourceManager's view of every registered TaskManager's slots, as last reported by the TaskManager
 * (at registration and with every heartbeat). Flink's SlotManager, reduced to bookkeeping until jobs request slots.
 */
export class SlotManager {
  private readonly slotsByTaskManager = new Map<string, readonly SlotStatus[]>();

  registerTaskManager(resourceId: string, slots: readonly SlotStatus[]): void {
    this.slotsByTaskManager.set(resourceId, [...slots]);
  }

  reportSlotStatus(resourceId: string, slots: readonly SlotStatus[]): void {
    if (this.slotsByTaskManager.has(resourceId)) this.slotsByTaskManager.set(resourceId, [...slots]);
  }

  unregisterTaskManager(resourceId: string): void {
    this.slotsByTaskManager.delete(resourceId);
  }

  slotsOf(resourceId: string): readonly SlotStatus[] {
    return this.slotsByTaskManager.get(resourceId) ?? [];
  }

  freeSlotsOf(resourceId: string): number {
    return this.slotsOf(resourceId).filter(isFree).length;
  }

  getNumberRegisteredSlots(): number {
    let total = 0;
    for (const slots of this.slotsByTaskManager.values()) total += slots.length;
    return total;
  }

  getNumberFreeSlots(): number {
    let free = 0;
    for (const slots of this.slotsByTaskManager.values()) free += slots.filter(isFree).length;
    return free;
  }
}

function isFree(slot: SlotStatus): boolean {
  return slot.allocationId === '';
}
