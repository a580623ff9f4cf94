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

  /**
   * Fails unless slot `index` exists and is free or allocated to this allocation of this job, and the allocation is not
   * held by another slot.
   */
  checkAllocation(index: number, allocationId: string, jobId: string): void {
    const slot = Number.isInteger(index) ? this.slots[index] : undefined;
    if (!slot) throw new Error(`This TaskExecutor has no slot ${index} (it has ${this.slots.length}).`);
    if (slot.allocationId !== undefined && slot.allocationId !== allocationId) {
      throw new Error(`Slot ${index} is already allocated to ${slot.allocationId} (job ${slot.jobId}).`);
    }
    if (slot.allocationId === allocationId && slot.jobId !== jobId) throw new Error(`Slot ${index} is allocated to job ${slot.jobId}, not to job ${jobId}.`);
    if (this.slots.some((other) => other !== slot && other.allocationId === allocationId)) {
      throw new Error(`Allocation ${allocationId} is held by another slot.`);
    }
  }

  /** Marks slot `index` as allocated to a job; fails if it holds another allocation (see checkAllocation). */
  allocate(index: number, allocationId: string, jobId: string): void {
    this.checkAllocation(index, allocationId, jobId);
    const slot = this.slots[index]!;
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
