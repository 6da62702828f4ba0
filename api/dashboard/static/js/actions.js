// Task mutations (execute, cancel, approve, reject): each resolves to the task or throws ActionError.

import {gql} from "./api.js";
import {APPROVE_TASK, CANCEL_TASK, EXECUTE_TASK, REJECT_TASK} from "./queries.js";

const DOCUMENTS = {execute: EXECUTE_TASK, cancel: CANCEL_TASK, approve: APPROVE_TASK, reject: REJECT_TASK};

/** The mutation answered `userErrors` (each {field, message, code}). */
export class ActionError extends Error {
  constructor(userErrors) {
    super(userErrors.map((e) => e.message).join("; "));
    this.userErrors = userErrors;
  }
}

/** Which actions a task in `status` allows (API.md's state machine). */
export function allowedActions(status) {
  return {
    execute: ["PENDING", "FAILED", "CANCELLED", "SCHEDULED"].includes(status),
    cancel: ["PENDING", "AWAITING_REVIEW", "SCHEDULED", "QUEUED", "IN_PROGRESS", "RETRYING"].includes(status),
    review: status === "AWAITING_REVIEW",
  };
}

/** Run `kind` (execute, cancel, approve, reject) on a task. */
export async function taskAction(kind, variables) {
  const data = await gql(DOCUMENTS[kind], variables);
  const payload = Object.values(data)[0];
  if (payload.userErrors.length) throw new ActionError(payload.userErrors);
  return payload.task;
}
