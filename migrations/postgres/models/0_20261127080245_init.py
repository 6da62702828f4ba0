from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "workspaces" (
    "id" UUID NOT NULL PRIMARY KEY,
    "name" VARCHAR(100) NOT NULL UNIQUE,
    "created_at" TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS "api_keys" (
    "id" UUID NOT NULL PRIMARY KEY,
    "name" VARCHAR(100) NOT NULL,
    "key_hash" VARCHAR(64) NOT NULL UNIQUE,
    "prefix" VARCHAR(16) NOT NULL,
    "scopes" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "last_used_at" TIMESTAMPTZ,
    "revoked_at" TIMESTAMPTZ,
    "workspace_id" UUID NOT NULL REFERENCES "workspaces" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_api_keys_workspa_3a44ac" UNIQUE ("workspace_id", "name")
);
COMMENT ON TABLE "api_keys" IS 'An API key; only its SHA-256 hash is kept. `prefix` is the public start of the key, for display.';
CREATE TABLE IF NOT EXISTS "webhooks" (
    "id" UUID NOT NULL PRIMARY KEY,
    "name" VARCHAR(200) NOT NULL,
    "url" VARCHAR(2048) NOT NULL,
    "secret" VARCHAR(200) NOT NULL,
    "is_active" BOOL NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "workspace_id" UUID NOT NULL REFERENCES "workspaces" ("id") ON DELETE CASCADE
);
COMMENT ON TABLE "webhooks" IS 'Where notifications go. The secret signs every message and is never returned by the API.';
CREATE TABLE IF NOT EXISTS "tasks" (
    "id" UUID NOT NULL PRIMARY KEY,
    "title" VARCHAR(500) NOT NULL,
    "description" TEXT,
    "task_type" VARCHAR(32) NOT NULL,
    "status" VARCHAR(32) NOT NULL,
    "status_reason" TEXT,
    "priority" SMALLINT NOT NULL,
    "execution_type" VARCHAR(16) NOT NULL,
    "assigned_to_bot" BOOL NOT NULL,
    "requires_human_review" BOOL NOT NULL,
    "scheduled_for" TIMESTAMPTZ,
    "cron" VARCHAR(200),
    "cron_timezone" VARCHAR(64) NOT NULL,
    "labels" JSONB NOT NULL,
    "external_id" VARCHAR(200),
    "idempotency_key" VARCHAR(200),
    "execution_config" JSONB NOT NULL,
    "max_retries" INT NOT NULL,
    "timeout_seconds" INT NOT NULL,
    "error_count" INT NOT NULL,
    "last_error" TEXT,
    "result" JSONB,
    "result_summary" TEXT,
    "notify_on_complete" BOOL NOT NULL,
    "notify_on_failure" BOOL NOT NULL,
    "review_notes" TEXT,
    "queued_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ,
    "completed_at" TIMESTAMPTZ,
    "next_attempt_at" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "trigger" VARCHAR(16),
    "claimed_by" VARCHAR(200),
    "heartbeat_at" TIMESTAMPTZ,
    "dispatched_at" TIMESTAMPTZ,
    "cancel_requested_at" TIMESTAMPTZ,
    "source_webhook_id" UUID REFERENCES "webhooks" ("id") ON DELETE SET NULL,
    "spawned_from_id" UUID REFERENCES "tasks" ("id") ON DELETE SET NULL,
    "workspace_id" UUID NOT NULL REFERENCES "workspaces" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_tasks_workspa_40d8d4" UNIQUE ("workspace_id", "idempotency_key")
);
CREATE INDEX IF NOT EXISTS "idx_tasks_workspa_db4b55" ON "tasks" ("workspace_id", "created_at");
CREATE INDEX IF NOT EXISTS "idx_tasks_workspa_023994" ON "tasks" ("workspace_id", "status");
CREATE INDEX IF NOT EXISTS "idx_tasks_workspa_bb19c5" ON "tasks" ("workspace_id", "task_type");
CREATE INDEX IF NOT EXISTS "idx_tasks_workspa_e219c6" ON "tasks" ("workspace_id", "priority", "created_at");
CREATE INDEX IF NOT EXISTS "idx_tasks_workspa_736a8f" ON "tasks" ("workspace_id", "updated_at");
CREATE INDEX IF NOT EXISTS "idx_tasks_workspa_7d1c2f" ON "tasks" ("workspace_id", "external_id");
CREATE INDEX IF NOT EXISTS "idx_tasks_status_fd1c3b" ON "tasks" ("status", "scheduled_for");
CREATE INDEX IF NOT EXISTS "idx_tasks_status_cbe65e" ON "tasks" ("status", "next_attempt_at");
CREATE INDEX IF NOT EXISTS "idx_tasks_status_7d92eb" ON "tasks" ("status", "heartbeat_at");
COMMENT ON COLUMN "tasks"."task_type" IS 'BROWSER_AUTOMATION: BROWSER_AUTOMATION\nAPI_CALL: API_CALL\nGHL_ACTION: GHL_ACTION\nNOTIFICATION: NOTIFICATION\nREMINDER: REMINDER\nDATA_EXTRACTION: DATA_EXTRACTION\nREPORT_GENERATION: REPORT_GENERATION';
COMMENT ON COLUMN "tasks"."status" IS 'PENDING: PENDING\nAWAITING_REVIEW: AWAITING_REVIEW\nSCHEDULED: SCHEDULED\nQUEUED: QUEUED\nIN_PROGRESS: IN_PROGRESS\nRETRYING: RETRYING\nCOMPLETED: COMPLETED\nFAILED: FAILED\nCANCELLED: CANCELLED';
COMMENT ON COLUMN "tasks"."priority" IS 'LOW: 0\nNORMAL: 1\nHIGH: 2\nURGENT: 3';
COMMENT ON COLUMN "tasks"."execution_type" IS 'AUTOMATIC: AUTOMATIC\nMANUAL: MANUAL';
COMMENT ON COLUMN "tasks"."trigger" IS 'CREATE: CREATE\nMANUAL: MANUAL\nAPPROVAL: APPROVAL\nSCHEDULE: SCHEDULE\nRETRY: RETRY\nRECOVERY: RECOVERY';
COMMENT ON TABLE "tasks" IS 'One unit of work and its current state; every status change also writes a TaskEvent.';
CREATE TABLE IF NOT EXISTS "outbound_messages" (
    "id" UUID NOT NULL PRIMARY KEY,
    "type" VARCHAR(50) NOT NULL,
    "recipient" VARCHAR(500),
    "subject" VARCHAR(500),
    "body" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "scheduled_for" TIMESTAMPTZ,
    "next_attempt_at" TIMESTAMPTZ,
    "sent_at" TIMESTAMPTZ,
    "attempts" INT NOT NULL,
    "last_error" TEXT,
    "response_status" INT,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "task_id" UUID REFERENCES "tasks" ("id") ON DELETE SET NULL,
    "webhook_id" UUID REFERENCES "webhooks" ("id") ON DELETE SET NULL,
    "workspace_id" UUID NOT NULL REFERENCES "workspaces" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_outbound_me_workspa_38d48e" ON "outbound_messages" ("workspace_id", "created_at");
CREATE INDEX IF NOT EXISTS "idx_outbound_me_status_b953e0" ON "outbound_messages" ("status", "next_attempt_at");
CREATE INDEX IF NOT EXISTS "idx_outbound_me_webhook_7df4e7" ON "outbound_messages" ("webhook_id", "status");
COMMENT ON COLUMN "outbound_messages"."status" IS 'SCHEDULED: SCHEDULED\nQUEUED: QUEUED\nSENDING: SENDING\nSENT: SENT\nFAILED: FAILED\nCANCELLED: CANCELLED';
COMMENT ON TABLE "outbound_messages" IS 'A message to a webhook (notification, reminder, completion or failure notice, report).';
CREATE TABLE IF NOT EXISTS "task_events" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "task_type" VARCHAR(32) NOT NULL,
    "from_status" VARCHAR(32),
    "to_status" VARCHAR(32) NOT NULL,
    "reason" TEXT,
    "execution_id" UUID,
    "actor" VARCHAR(200) NOT NULL,
    "at" TIMESTAMPTZ NOT NULL,
    "task_id" UUID NOT NULL REFERENCES "tasks" ("id") ON DELETE CASCADE,
    "workspace_id" UUID NOT NULL REFERENCES "workspaces" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_task_events_workspa_f495cb" ON "task_events" ("workspace_id", "id");
CREATE INDEX IF NOT EXISTS "idx_task_events_task_id_fb07da" ON "task_events" ("task_id", "id");
COMMENT ON COLUMN "task_events"."task_type" IS 'BROWSER_AUTOMATION: BROWSER_AUTOMATION\nAPI_CALL: API_CALL\nGHL_ACTION: GHL_ACTION\nNOTIFICATION: NOTIFICATION\nREMINDER: REMINDER\nDATA_EXTRACTION: DATA_EXTRACTION\nREPORT_GENERATION: REPORT_GENERATION';
COMMENT ON COLUMN "task_events"."from_status" IS 'PENDING: PENDING\nAWAITING_REVIEW: AWAITING_REVIEW\nSCHEDULED: SCHEDULED\nQUEUED: QUEUED\nIN_PROGRESS: IN_PROGRESS\nRETRYING: RETRYING\nCOMPLETED: COMPLETED\nFAILED: FAILED\nCANCELLED: CANCELLED';
COMMENT ON COLUMN "task_events"."to_status" IS 'PENDING: PENDING\nAWAITING_REVIEW: AWAITING_REVIEW\nSCHEDULED: SCHEDULED\nQUEUED: QUEUED\nIN_PROGRESS: IN_PROGRESS\nRETRYING: RETRYING\nCOMPLETED: COMPLETED\nFAILED: FAILED\nCANCELLED: CANCELLED';
COMMENT ON TABLE "task_events" IS 'One status change of one task. Ids only grow; `actor` says who caused it.';
CREATE TABLE IF NOT EXISTS "task_executions" (
    "id" UUID NOT NULL PRIMARY KEY,
    "attempt_number" INT NOT NULL,
    "triggered_by" VARCHAR(16) NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "started_at" TIMESTAMPTZ NOT NULL,
    "completed_at" TIMESTAMPTZ,
    "duration_ms" INT,
    "output" JSONB,
    "error" TEXT,
    "error_stack" TEXT,
    "browser_session_id" VARCHAR(200),
    "debug_url" VARCHAR(2048),
    "steps" JSONB,
    "log" JSONB NOT NULL,
    "worker_id" VARCHAR(200),
    "task_id" UUID NOT NULL REFERENCES "tasks" ("id") ON DELETE CASCADE,
    "workspace_id" UUID NOT NULL REFERENCES "workspaces" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_task_execut_task_id_f166ec" UNIQUE ("task_id", "attempt_number")
);
CREATE INDEX IF NOT EXISTS "idx_task_execut_workspa_1e411f" ON "task_executions" ("workspace_id", "started_at");
COMMENT ON COLUMN "task_executions"."triggered_by" IS 'CREATE: CREATE\nMANUAL: MANUAL\nAPPROVAL: APPROVAL\nSCHEDULE: SCHEDULE\nRETRY: RETRY\nRECOVERY: RECOVERY';
COMMENT ON COLUMN "task_executions"."status" IS 'RUNNING: RUNNING\nSUCCESS: SUCCESS\nFAILED: FAILED\nTIMED_OUT: TIMED_OUT\nCANCELLED: CANCELLED';
COMMENT ON TABLE "task_executions" IS 'One attempt at running a task.';
CREATE TABLE IF NOT EXISTS "artifacts" (
    "id" UUID NOT NULL PRIMARY KEY,
    "name" VARCHAR(200) NOT NULL,
    "content_type" VARCHAR(100) NOT NULL,
    "size_bytes" INT NOT NULL,
    "path" VARCHAR(1000) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "execution_id" UUID NOT NULL REFERENCES "task_executions" ("id") ON DELETE CASCADE,
    "workspace_id" UUID NOT NULL REFERENCES "workspaces" ("id") ON DELETE CASCADE
);
COMMENT ON TABLE "artifacts" IS 'A file an execution produced (a screenshot); its bytes live in the artifact store under `path`.';
CREATE TABLE IF NOT EXISTS "task_labels" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "label" VARCHAR(200) NOT NULL,
    "task_id" UUID NOT NULL REFERENCES "tasks" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_task_labels_task_id_fa46c4" UNIQUE ("task_id", "label")
);
CREATE INDEX IF NOT EXISTS "idx_task_labels_label_2b36ed" ON "task_labels" ("label", "task_id");
COMMENT ON TABLE "task_labels" IS 'One label of one task: makes \"tasks carrying all of these labels\" an indexed lookup.';
CREATE TABLE IF NOT EXISTS "aerich" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSONB NOT NULL
);"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        """


MODELS_STATE = (
    "eJztXet32jgW/1d0+NQ5J5OTkkc76Z49hxCaskMgS0g7O8McVxgB3hjJ40dSZnb+95VkG7"
    "/BAgzG1ZfWSLqy87vSle5DV3/V5mSMdOu0YWg/o0XtGvxVw3CO6EOs5gTUoGEE5azAhiOd"
    "N4WGpjyjBS+EI8s2oWrT8gnULUSLxshSTc2wNYJZ6wYGjYc2oAQfAMH6Ami2BR4/NX6sX1"
    "6BGbRmQLNorWGfgq+GiSbat6+sxJ4hYDgjXVOBZUPTBmTCy2g/J2BCTDDWLEOHi1P2FWOi"
    "0s/Q8HRfL3Sw9oeDFJtMEW1j0tf+9lvtlZjPlgFVxFpwXH//nT5peIy+IYu1YT+NZ2WiIX"
    "0cQV8bMxpertgLg5c9PbVvP/KW7C8cKSrRnTkOWhsLe0bwsrnjaONTRsPqpggjE9poHOIL"
    "dnTdY6Ff5P4ZtMA2HbT81HFQMEYT6OiMu7V/TBysMqYC/ib2z8U/vU8LNVOUbm+gPLYGil"
    "JLDAb2CTF2eUUqwWwgadhmQP31t9tvAAgvrbEXND81+m/Or37gEBDLnpq8ksNV+5sTQhu6"
    "pBz0AGX+fwLn5gya6Tj77WNI0w/dBGO/IAA5mDE+fD5ABUBam8Nvio7w1J7Rn2/PzlZg/L"
    "nR5zDTVhxnQqe4O/e7XlXdrWN4B/jSqaKwCSaCcZhmNzivH8t7Q/nqIgfIVxeZGLOqKMSu"
    "wBIBOKCo4jC+yjOKr7IH8VUcYEslrI8EwP967HXTAQ4oYgCPNdUG/wO6ZtlFAR2SyiNH02"
    "0NW6fsfYcQzAwh1vPcsv7QwzC/uW/8EudAs9O7iUtw1sFNjB2qiRhkCrSTLLmlNbY2R+ls"
    "iVLGWeORnvoPxzgT6B847tENjifiVrBm0L5vPQ4a9w8R/tw2Bi1WU+eli1jpm/isWXYCvr"
    "QHnwD7CX7tdVtxNi7bDX6tsW+Cjk0UTF4VOA5JY7/URy3CdR1atuJYG/E9TrsDznufXBbG"
    "HwmjfUxWctpEL+R5Iz5HKSWXy8zlpWakiCk6cbpdqjzlZe8aDYcpkZPnVAUnooFGQf5ITK"
    "RNMVXuOdRt+jEQq2nqjWcJ+BLu6zjBDUqD6W3C16X+nRhfFAX6tyPb3VI3HpuN21aNAz6C"
    "6vMrNMdKBHlWQ+okVrJsm6ya1+fxEojhlCPE/hT24b4lxrS1iWtZSVpp/LqTlXYar1VeQw"
    "2YaDoCEAPKMtXhm0rDJGNHRWPwBgLaGCFszYj9wwduUxktbGTR7e0LAhrmthL/jcCy6XAD"
    "DuW+Cb4a0J59TbHTFP++FDONtMhIi0xJpFRUla3nssjUV1hk6kmLDH2jjbDtAiWAc5yugn"
    "gXYgGztD+RwuVUEu02tjMMCBGiGNRs8TpCqKfsI36sv714d/H+/OriPW3CP3RZ8m4F+O3u"
    "IG72oiJdyOjlta/muM05cFeO3KSokJaW79DSstx6CWpmcTqpmcWmk1R5pcp7vCpvqojYAc"
    "IDaD23wv1VFOW4eCyTYaHn2CNCVeV7ZFmQ79MS9oV4k5NVZgbiNVbmbuvc5gavPbAJgOAV"
    "jWaEPIM3mFCdXlMha3cCTDRnrDZPgErmBkWQqbvEpJ1qukNVftZaRaydQUz7hzQrQ1GvWW"
    "9ciIWEhPZJtOFvdDcKbYejhdE3mxbbaG7Yy2rvU1m91/J3aa04qLVCVIuusPZ8mUcHuczW"
    "QC4T+oeJVM3QEE5RP7IRjhBtBHPJvD5xlPPBvArnpI3CGf0XqUIwh0gkyLlAHpHxIonwgM"
    "r5dIT99pUQFav049Yvg4hqnAgSWarHnV73zm8ejxyJW4cWOoEpS2B20E6IpBxRO+y1lYna"
    "CXY2SQnTws48oS1Epc2Sen+zofbvp9ZT61aQAbXH5qfW7VOndXsNlo9D7PZ1Ddz/h/ix1b"
    "1td+9oG/eBlwz4z8EQf2y0eQfu/0PcbHSbrQ4vWj7Gt7WHio2bobGj0y3shJiiVsIEsQzZ"
    "KHPIRlwlEeR2Crnkd5n5bTF3nzifQ2SSv2XmrzcXRfySYZL9eSXPitr079glyeNMkWmmrY"
    "TZ+/woVRWUqX1v9umcMOgXICVrk5k5nlMoNxrWJWPArge2dARnQ11dR7BjjDfkepRScr0s"
    "XE/ZFnhfH7JoQ+tZ0EEdItnCg1AyGbojn7/rsRH1+EeoJKYyjkLGURwc3ALiKEL+3G3xDX"
    "o6SpGwHtyISIxASz8BdJ86nVpiHdsBsAOvm2qiGlq5MyA9TEAKRz0lCsXnRnboCfuLcoab"
    "9DA7H6LxtB5s7gKIx/xUieqYJsLsCAll+AeAXpC5AK6GCNQZxFMEaI8EvJoaO34CAY9heq"
    "EkyWCTol6yPt2INkZzg9gIqwuWmyWReWRNKEqk0o82SVTwAcSnTLLOMDVCP36xtveQupCs"
    "RN9sZGKos2Eai5GJ+g/yBNAE1TMETXtEP4rXySiaw0bRaLYuFkbjE1TCOb6H4IPwlyVwzr"
    "ZNxsikcVLcOBlIyNTxvd73HemgzOO9dtPvfXls9ZXG06B33xi0e91rkCwb4sZDW2k2Op1r"
    "4D8N8d2njtJoujTB8xDT97U/tpteb+FfQ9xv3be7t63+NfCfhvi2MWgolDF9v7NYAaN66P"
    "UHyl2r2+p73SaK4st4nnl7Xs8xbc/rmbOWVR17zMQGg+bBj4R48CMhGl8a7QF9Uvqtz+3W"
    "FzpKogVDnC/Got1VHvq9u37r8fEahH6wITDo/4e/1H8a4mbv/qHTGvAYC/+xuEiMogaLQv"
    "dZlpiMTxBKKb9BvFlor5vwPa2fq2Hy/flV3wpO1U6PTsYzJpP79w0qvd8O8af23adrUB/i"
    "p/4dD2A6zzkbXA/Vef3d1dI5xX6s8ks90pd2ks6p4GDFNqtsspc9RprdN7pPjY7gnr3mL6"
    "lNKiH9xyF2+7oGoT4PHiUGLUubYqqn2UQZkRR30g0hOoI4I+ggSR3jzYiSF8WcZcl+pdRN"
    "r9eJSKmbdlwMPd3ftCgjOB9oI8013SQniIn+cDSqjCkzZw4xFfQvGnoV5EFmH5ITApyQ0Z"
    "LfT3SVaqZtw1bk1zCrs/vaRxoTk4FER/mfBIvlMYkT7nGdfxo0izLMFZ1llv7hnqk973mK"
    "gKIcxykqlQQ1bBUXGPwxMilrcsmauCdFAPAUUgl6LtADhYy+e6JNRURPGm05hFClznSxQW"
    "Ai+k1Cua1iVPszd5wXNRl2HG3LNifEsRUL0ReNRaBNodwjvGfHEqfPg+0pbE7ayfJMcGNU"
    "8viDPP5QDtszldDs+wXWx4Biq1XxeHAvZPlzUVQsZz6HptDR/iSlHPfi457n61kofJfHM/"
    "Sk2AFWGjXTO5AWTQGLZgChlxdpYxaE6CUHhKz7zBSvUCDTduGrZFCUTkogcQlE/2hnowNS"
    "EUJpxy+zHZ/f/LcRk6OUkstl5rK/AdjojGuMVnK6zJyWWUy+L37Ls+uZbD7SU8zy7Pr3yP"
    "WUyZ48u25q0ylKMT/mjLQPyEusDdWa/RbF+hq4/8cj/lh4/UO/97nBw+vdpyBiOgiY9qKg"
    "vRBo9qvZ+9xyC9ynWr7hVHDsoKpDOs/GykjI7xqlKjE3y+RyjZyJExSbcVq5KSqPnEwuj+"
    "ziemizgMINWJ0glrwuM69VttbpCovgRdaGO+H0LiTfy8x3izimipTNMtCkEstENLFwbgO+"
    "snMJE5PMRfFNkkp0ZZofmebn4OAWkOYnPNl3AHK1U9KkSMYc2X6i69UuRnLVEyqlrvDCSY"
    "BCwaChq55iAQAe5cef+0iHGbkksq+Zqgb8aQJhO6iqJQaiAZoszdGWI2mZLqlCS1F6gPwu"
    "gKrgBXzJ40uKSV53AFaH9VUloIrO5OZOw4x0bss5ujqnmxLIhHyZ3aKp1MgEEFrIejoF7b"
    "FFf+kLMKUD4gP4Svsi5ldgwYUFXmcEqNCxEMvSlp7ObWc9C18X6KdA83Mbst9CqctutGlm"
    "fHuqtpQS1u4tKKsG+vqsZUUayt2w9p/q9fPzd/Wz86v3lxfv3l2+P1vGtyerVgW637TvWN"
    "TdSdiO44fhrUhpJtM+ybRPm2Xy4ZrPdrmfYl2U2P8l8z/taNTYZMsxE+mg1AJHDpndDBnx"
    "XGEySdg24eLxK8DzWrTjdNJTEEsvxXbZ6WIvHdAlQZnFXJkiQ8RdxjJ8rlwu4zxBkwe7+q"
    "VsPJYOzNIBKx2YB3Rg7vcujWPFNesyjSWk2W60wi2wS/t+lhU27ABYZ4mNOB7yWWO9EzP0"
    "f2A6GFO4AXRtpqkm1tXNU+++8MeofzaH6rsjWrfm1ovQGT15CcQ+lsdsi2mMcQnE111KGy"
    "LcX26W4u3Yu0sr5J5uWBFKn/uExHaB9fsyE31f5ySO77KAWv+p22137wTFlE9GGeA+UK49"
    "NZvcZOc9JI1wTDu6VXpPg2uwfNydaa4Qbpbl1Hnp5GJ1FXB5Cv17Cc4fOyaPNFHmIvn9Yl"
    "TyqvLkLoc4tuEIJUMLKGQytC0SEovm/ZMp/7bxJPFclHSpV1PsMmswD8gk8uLIj1gMIaIg"
    "IsvK8uRlO57SqavAhz04ocZo5EwVx9RFEI8QVRHoi/e5kL54vwJqVhnXP5AhlO1/SSAX0c"
    "0XUZ0IpTn3mpcjs3mlrldgNmIqpsWEe4SoiqKmAJkuXc7S5VxWYFe4nKVDdCcO0dShuwNc"
    "pRd/vcs55HgzbW0C1W0P3DW8biqEeeEno9yjZBk++eU5szX++OCirXy+eN4+fG7pGszhM7"
    "LAkPdnARWa5oL73HXezp4hyyOzhjUAMfD4BHRCnh0j3YdfzGtW+v45bYrLX/eR5A3lkaly"
    "HplacinvhntJUGY3tNxtlxBruSks76bwMFFyfr6PlLU4lAokeyX28mjkXIa/0KULAX75ha"
    "byfZUFpuQUDGYIWEg1kQ3YndcWQC/IXAAvtwZdEsdAswBmpYA2ckxMV8fRgi2d7FBlciEu"
    "8kXrjy/LiLqDRtTx/wXWU7+9XE7zLaeCrohtnBBlR7cgLwSXUCIYBxSVhLmIy20thS5V2o"
    "vozU0Ruj3e2ORL6qO9sEleSJA93Ksb2icvJKga11Pi/BJpp6Q/Rh4BLKMSvjvngUz7uNqD"
    "EDe/7SD/XIXQKdSis5zHaTad8CRfYdXxm+Wz62QDIm0lJVhATkprKzms9yd6limXkvl2hZ"
    "L5NqlkSp0nG/3j3P1m6TyJTVquCARDU57RYtsABEOju7wjHAK5Ng8ySiMXTIfajx4lWPvb"
    "kB4lPDINeR6QZBry/GCFvcSbQ5X/boqjAalIRbCBTE2d1VK0QK/mZJUKCIM2pVH/vpeAtC"
    "1PBWdrey/ItLS01KfZCl+IpIquxcvLPK7Fy8ts1yKri2WNpJNKAGGveQXRLUanJtj29hV5"
    "D4yFSPZ/aOwwPoWdHQ8TUGx3v5j9/X+kagN6"
)
