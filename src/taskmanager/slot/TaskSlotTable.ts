/** One slot of this TaskManager: free, or allocated to a job. */
export interface TaskSlot {
  readonly index: number;
  allocationId: string | undefined;
  jobId: string | undefined;
}

export interface SlotStatusReport {
  slotIndex: number;
  allocationId: string;
  jobId: string;
}

/** The slots a TaskManager offers and what each holds (Flink's TaskSlotTable). */
export class TaskSlotTable {
  private readonly slots: TaskSlot[];

  constructor(numberOfSlots: number) {
    this.slots = Array.from({ length: numberOfSlots }, (_, index) => ({ index, allocationId: undefined, jobId: undefined }));
  }

  get numberOfSlots(): number {
    return this.slots.length;
  }

  /** Marks slot `index` as allocated to a job; fails if it holds another allocation. */
  allocate(index: number, allocationId: string, jobId: string): void {
    const slot = this.slots[index];
    if (!slot) throw new Error(`This TaskExecutor has no slot ${index} (it has ${this.slots.length}).`);
    if (slot.allocationId !== undefined && slot.allocationId !== allocationId) {
      throw new Error(`Slot ${index} is already allocated to ${slot.allocationId} (job ${slot.jobId}).`);
    }
    slot.allocationId = allocationId;
    slot.jobId = jobId;
  }

  free(allocationId: string): void {
    for (const slot of this.slots) {
      if (slot.allocationId === allocationId) {
        slot.allocationId = undefined;
        slot.jobId = undefined;
      }
    }
  }

  /** The slot report sent to the ResourceManager at registration and with every heartbeat. */
  createSlotReport(): SlotStatusReport[] {
    return this.slots.map((slot) => ({ slotIndex: slot.index, allocationId: slot.allocationId ?? '', jobId: slot.jobId ?? '' }));
  }

  /** Frees every slot (the ResourceManager that assigned them is gone); returns how many were allocated. */
  freeAllSlots(): number {
    let freed = 0;
    for (const slot of this.slots) {
      if (slot.allocationId !== undefined) freed++;
      slot.allocationId = undefined;
      slot.jobId = undefined;
    }
    return freed;
  }
}
