/**
 * Every message of the session, declared once and imported by the workflow, the worker's relay
 * and the CLI, so a name typed on `temporal workflow query --type …` has one definition.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BudgetView } from '../src/domain/budget';
import type { SubmissionRecord, SubmitRequest } from '../src/domain/submission';
import type { SessionStatus, BestView } from '../src/domain/session';

export const budgetQuery = defineQuery<BudgetView>('budget');
export const bestQuery = defineQuery<BestView | null>('best');
export const submissionsQuery = defineQuery<SubmissionRecord[]>('submissions');
export const statusQuery = defineQuery<SessionStatus>('status');

/** Returns the submission id at once; the verdict is read later through `submissions`. */
export const submitUpdate = defineUpdate<{ submissionId: string }, [SubmitRequest]>('submit');

export const stopSignal = defineSignal<[{ reason?: string }?]>('stop');
export const extendBudgetSignal = defineSignal<[{ gpuHours: number }]>('extendBudget');
