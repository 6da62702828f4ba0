// The GraphQL documents the dashboard sends (API.md is the contract).

export const TASK_ROW = `id title description status taskType priority errorCount createdAt updatedAt
  attempts: executions(first: 1) { totalCount }`;

export const LATEST_EVENT_ID = `query { latestEventId }`;

export const TASK_EVENTS = `subscription($after: ID) {
  taskEvents(after: $after) { id taskId fromStatus toStatus reason actor at task { ${TASK_ROW} } }
}`;

export const TASKS = `query($filter: TaskFilter, $first: Int!, $after: String, $orderBy: TaskOrder!) {
  tasks(filter: $filter, first: $first, after: $after, orderBy: $orderBy) {
    totalCount pageInfo { hasNextPage endCursor } nodes { ${TASK_ROW} }
  }
}`;

export const REVIEW_QUEUE = `query {
  tasks(filter: {status: [AWAITING_REVIEW]}, first: 100, orderBy: CREATED_AT_ASC) {
    totalCount nodes { ${TASK_ROW} executionConfig }
  }
}`;

export const REVIEW_COUNT = `query { tasks(filter: {status: [AWAITING_REVIEW]}, first: 1) { totalCount } }`;

export const TASK_DETAIL = `query($id: ID!) {
  task(id: $id) {
    ${TASK_ROW} statusReason executionType assignedToBot requiresHumanReview scheduledFor cron cronTimezone
    labels externalId executionConfig maxRetries timeoutSeconds lastError result resultSummary reviewNotes
    queuedAt startedAt completedAt nextAttemptAt spawnedFrom { id title }
    executions(first: 50) {
      totalCount nodes {
        id attemptNumber triggeredBy status startedAt completedAt durationMs output error steps debugUrl
        screenshots { id contentType sizeBytes url }
      }
    }
    events(first: 200) { id fromStatus toStatus reason actor at }
  }
}`;

export const EXECUTION_LOG = `subscription($id: ID!) { executionLog(executionId: $id) { at level message step } }`;

const PAYLOAD = `task { id title status } userErrors { field message code }`;

export const CREATE_TASK = `mutation($input: CreateTaskInput!) { createTask(input: $input) { ${PAYLOAD} } }`;
export const EXECUTE_TASK = `mutation($id: ID!) { executeTask(id: $id) { ${PAYLOAD} } }`;
export const CANCEL_TASK = `mutation($id: ID!, $reason: String) { cancelTask(id: $id, reason: $reason) { ${PAYLOAD} } }`;
export const APPROVE_TASK = `mutation($id: ID!, $notes: String) { approveTask(id: $id, notes: $notes) { ${PAYLOAD} } }`;
export const REJECT_TASK = `mutation($id: ID!, $reason: String!) { rejectTask(id: $id, reason: $reason) { ${PAYLOAD} } }`;

export const REPORTS = `query($from: DateTime, $to: DateTime) {
  tasks: report(type: TASK_SUMMARY, from: $from, to: $to) { from to data }
  executions: report(type: EXECUTION_STATS, from: $from, to: $to) { data }
}`;

export const TASK_TYPES = ["API_CALL", "BROWSER_AUTOMATION", "DATA_EXTRACTION", "GHL_ACTION", "NOTIFICATION",
  "REMINDER", "REPORT_GENERATION"];

export const TASK_STATUSES = ["PENDING", "AWAITING_REVIEW", "SCHEDULED", "QUEUED", "IN_PROGRESS", "RETRYING",
  "COMPLETED", "FAILED", "CANCELLED"];

export const PRIORITIES = ["LOW", "NORMAL", "HIGH", "URGENT"];

/** Statuses after which a task's run is over. */
export const TERMINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);
