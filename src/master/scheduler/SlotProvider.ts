import type { SlotAssignment } from '../resourcemanager/SlotManager.js';
import type { TaskManagerView } from '../resourcemanager/types.js';

export type { SlotAssignment } from '../resourcemanager/SlotManager.js';

/**
 * Where the scheduler gets slots for a job's subtasks and reaches the TaskManagers that offer them (the part of
 * Flink's ResourceManagerGateway a JobMaster uses, together with its SlotPool). Implemented by the ResourceManager.
 */
export interface SlotProvider {
  /**
   * One slot per subtask index (slot sharing: slot i runs subtask i of every vertex), spread over the TaskManagers; or
   * undefined, allocating nothing, when there are not `count` free slots.
   */
  allocateSlots(jobId: string, count: number): SlotAssignment[] | undefined;
  /** Frees every slot the job holds. */
  freeSlots(jobId: string): void;
  /**
   * Takes over a slot its TaskManager reported allocated to the job when it registered (the job reconciles with
   * subtasks that ran on while no JobManager led); false if the slot is not reported so.
   */
  adoptSlot(jobId: string, slot: SlotAssignment): boolean;
  getNumberFreeSlots(): number;
  /** The TaskManager with this resource id, undefined once it left. */
  getTaskManager(resourceId: string): TaskManagerView | undefined;
  /** Whether `registrationId` is the current registration of TaskManager `resourceId` (compared in constant time). */
  isCurrentRegistration(resourceId: string, registrationId: string): boolean;
}
