import t from 'tap';
import { SlotManager } from '../../../../src/master/resourcemanager/SlotManager.js';
import type { SlotStatus } from '../../../../src/master/resourcemanager/types.js';

const JOB_A = 'a'.repeat(32);
const JOB_B = 'b'.repeat(32);

function freeSlots(count: number): SlotStatus[] {
  return Array.from({ length: count }, (_, slotIndex) => ({ slotIndex, allocationId: '', jobId: '' }));
}

function slotManagerWith(slots: Record<string, number>): SlotManager {
  const slotManager = new SlotManager();
  for (const [resourceId, count] of Object.entries(slots)) slotManager.registerTaskManager(resourceId, freeSlots(count));
  return slotManager;
}

t.test('allocation spreads a job over the TaskManagers: each slot from the one with the most free slots', async (t) => {
  const even = slotManagerWith({ 'tm-1': 2, 'tm-2': 2 });
  t.same(
    even.allocateSlots(JOB_A, 2)!.map((s) => [s.resourceId, s.slotIndex]),
    [
      ['tm-1', 0],
      ['tm-2', 0],
    ],
    'one slot on each TaskManager, not both on the first',
  );

  const uneven = slotManagerWith({ 'tm-a': 3, 'tm-b': 2, 'tm-c': 1 });
  const slots = uneven.allocateSlots(JOB_A, 4)!;
  t.same(
    slots.map((s) => [s.resourceId, s.slotIndex]),
    [
      ['tm-a', 0],
      ['tm-a', 1],
      ['tm-b', 0],
      ['tm-a', 2],
    ],
    'most free first (3,2,1 → 2,2,1 → 1,2,1 → 1,1,1), ties by resource id',
  );
  t.equal(new Set(slots.map((s) => s.allocationId)).size, 4, 'every slot its own allocation');
  for (const slot of slots) t.match(slot.allocationId, /^[0-9a-f]{32}$/);
  t.same(
    uneven.slotsOf('tm-a').map((s) => s.jobId),
    [JOB_A, JOB_A, JOB_A],
  );
  t.same(uneven.slotsOf('tm-b'), [
    { slotIndex: 0, allocationId: slots[2]!.allocationId, jobId: JOB_A },
    { slotIndex: 1, allocationId: '', jobId: '' },
  ]);
  t.equal(uneven.getNumberFreeSlots(), 2);
  t.equal(uneven.getNumberRegisteredSlots(), 6);

  const more = uneven.allocateSlots(JOB_B, 2)!;
  t.same(
    more.map((s) => [s.resourceId, s.slotIndex]),
    [
      ['tm-b', 1],
      ['tm-c', 0],
    ],
    'a second job gets the slots left, never an allocated one',
  );
});

t.test('allocation is all or nothing: too few free slots allocate none', async (t) => {
  const slotManager = slotManagerWith({ 'tm-1': 2, 'tm-2': 1 });
  t.equal(slotManager.allocateSlots(JOB_A, 4), undefined);
  t.equal(slotManager.getNumberFreeSlots(), 3, 'nothing was taken');
  t.same(
    [...slotManager.slotsOf('tm-1'), ...slotManager.slotsOf('tm-2')].map((s) => s.allocationId),
    ['', '', ''],
  );
  t.ok(slotManager.allocateSlots(JOB_A, 3), 'exactly as many as are free is enough');
  t.equal(slotManager.allocateSlots(JOB_B, 1), undefined, 'and then there are none left');
});

t.test("freeSlots(job) frees that job's slots only", async (t) => {
  const slotManager = slotManagerWith({ 'tm-1': 2, 'tm-2': 2 });
  slotManager.allocateSlots(JOB_A, 2);
  const b = slotManager.allocateSlots(JOB_B, 2)!;
  slotManager.freeSlots(JOB_A);
  t.equal(slotManager.getNumberFreeSlots(), 2);
  const allocated = [...slotManager.slotsOf('tm-1'), ...slotManager.slotsOf('tm-2')].filter((s) => s.jobId !== '');
  t.same(allocated.map((s) => s.allocationId).sort(), b.map((s) => s.allocationId).sort(), "job B's allocations are untouched");
  t.ok(slotManager.allocateSlots(JOB_A, 2), 'the freed slots can be allocated again');
});

t.test("a TaskManager that leaves takes its slots with it, allocated ones included", async (t) => {
  const slotManager = slotManagerWith({ 'tm-1': 2, 'tm-2': 2 });
  slotManager.allocateSlots(JOB_A, 2);
  slotManager.unregisterTaskManager('tm-1');
  t.equal(slotManager.getNumberRegisteredSlots(), 2);
  t.equal(slotManager.getNumberFreeSlots(), 1);
  t.same(slotManager.slotsOf('tm-1'), [], 'nothing is known of it any more');
  t.equal(slotManager.allocateSlots(JOB_B, 2), undefined, 'its slots are not offered');
  const [slot] = slotManager.allocateSlots(JOB_B, 1)!;
  t.same([slot!.resourceId, slot!.slotIndex], ['tm-2', 1]);
});

t.test('slots a TaskManager registers with still allocated stay taken until a job adopts them or the TaskManager reports them free', async (t) => {
  const slotManager = new SlotManager();
  const allocation = 'c'.repeat(32);
  slotManager.registerTaskManager('tm-1', [
    { slotIndex: 0, allocationId: allocation, jobId: JOB_A },
    { slotIndex: 1, allocationId: '', jobId: '' },
  ]);
  t.equal(slotManager.getNumberFreeSlots(), 1, 'the reported allocation is not free');
  t.notOk(slotManager.adoptSlot(JOB_B, { resourceId: 'tm-1', slotIndex: 0, allocationId: allocation }), 'another job cannot adopt it');
  t.notOk(slotManager.adoptSlot(JOB_A, { resourceId: 'tm-1', slotIndex: 0, allocationId: 'd'.repeat(32) }), 'nor another allocation');
  t.equal(slotManager.reportSlots('tm-1', [{ slotIndex: 0, allocationId: allocation, jobId: JOB_A }, { slotIndex: 1, allocationId: '', jobId: '' }]), 0, 'held while the TaskManager holds it');
  t.equal(slotManager.reportSlots('tm-1', freeSlots(2)), 1, 'released once the TaskManager reports it free');
  t.equal(slotManager.getNumberFreeSlots(), 2);

  slotManager.registerTaskManager('tm-3', [{ slotIndex: 0, allocationId: 'e'.repeat(32), jobId: JOB_A }]);
  slotManager.freeSlots(JOB_A);
  t.equal(slotManager.freeSlotsOf('tm-3'), 0, 'freeing the job’s slots leaves one only reported: its subtasks may still run');
  slotManager.registerTaskManager('tm-2', [{ slotIndex: 0, allocationId: allocation, jobId: JOB_A }]);
  t.ok(slotManager.adoptSlot(JOB_A, { resourceId: 'tm-2', slotIndex: 0, allocationId: allocation }), 'its job adopts it');
  t.equal(slotManager.reportSlots('tm-2', freeSlots(1)), 0, 'an adopted slot is the job’s: a slot report does not free it');
  t.same(slotManager.slotsOf('tm-2'), [{ slotIndex: 0, allocationId: allocation, jobId: JOB_A }]);
  slotManager.freeSlots(JOB_A);
  t.equal(slotManager.freeSlotsOf('tm-2'), 1, 'the job frees it as any of its slots');
});
