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
    "eJztXVtz4jgW/isqnnqqMqk0uXRPemurCKHT7BDIEtI9O8OUWxgB3hjJI9tJM7Pz31eSbX"
    "wHGzAYt14SW9KRzXekI52Ljv+qzckY6eZpw9B+RovaNfirhuEcsYtIzQmoQcPwy3mBBUe6"
    "aAoNTXlGC1EIR6ZFoWqx8gnUTcSKxshUqWZYGsG8dQODxkMbMIIPgGB9ATTLBI+fGj/WL6"
    "/ADJozoJms1rBOwVeDoon27SsvsWYIGPZI11RgWpBagExEGevnBEwIBWPNNHS4OOVvMSYq"
    "ew0NT/f1QBtrf9hIscgUsTaUPfa332qvhD6bBlQRbyFw/f13dqXhMfqGTN6G3xrPykRD+j"
    "iEvjbmNKJcsRaGKHt6at9+FC35LxwpKtHtOfZbGwtrRvCyuW1r41NOw+umCCMKLTQO8AXb"
    "uu6y0CtyfgYrsKiNlq869gvGaAJtnXO39o+JjVXOVCCexP9c/NN9tUAzRen2Bspja6Aotd"
    "hg4K8QYZdbpBLMB5KGLQ7UX387/fqAiNIaf0DzU6P/5vzqBwEBMa0pFZUCrtrfghBa0CEV"
    "oPsoi/8xnJszSJNx9tpHkGYvugnGXoEPsj9jPPg8gAqAtDaH3xQd4ak1Y7dvz85WYPy50R"
    "cws1YCZ8KmuDP3u25V3anjePv4sqmi8AmWB+MgzW5wXj+W94by1UUGkK8uUjHmVWGIHYGV"
    "B2CfoorD+CrLKL5KH8RXUYBNlfA+YgD/67HXTQbYp4gAPNZUC/wP6JppFQV0QCqPbE23NG"
    "ye8ucdQjBzhHjPc9P8Qw/C/Oa+8UuUA81O7yYqwXkHNxF2qBRxyBRoxVlyy2osbY6S2RKm"
    "jLLGJT31Lo5xJrAfOO6xDY4r4lawZtC+bz0OGvcPIf7cNgYtXlMXpYtI6ZvorFl2Ar60B5"
    "8AvwW/9rqtKBuX7Qa/1vg7QdsiCiavChwHpLFX6qEW4roOTUuxzY34HqXdAefdVy4L44+E"
    "0R4mKzlN0Qt53ojPYUrJ5TJzeakZKfkUnSjdLlWe8rJ3jYbDlcjJc6KCE9JAwyB/JBRpU8"
    "yUewF1m70MxGqSeuNaAr4E+zpOcP1Sf3pT+LrUv2Pji6HAfjuynC1147HZuG3VBOAjqD6/"
    "QjpWQsjzGlInkZJl23jVvD6PlkAMpwIh/lP4i3uWGGppE8eyErfSeHUnK+00bqushhow0X"
    "QEIAaMZaotNpUGJWNbRWPwBgLWGCFszoj1wwdhUxktLGSy7e0LAhoWthLvicC02HADNuM+"
    "BV8NaM2+Jthpin9egplGWmSkRaYkUiqsytYzWWTqKywy9bhFhj3RQthygMqBc5SugngXYg"
    "EztT+RIuRUHO02tlIMCCGiCNR88TpCqKf8JX6sv714d/H+/OriPWsiXnRZ8m4F+O3uIGr2"
    "YiI9l9HLbV/NcZtx4K4cuXFRIS0t36GlZbn1yqmZRemkZhaZTlLllSrv8aq8iSJiBwgPoP"
    "ncCvZXUZSj4rFMhoWebY0IU5XvkWlCsU+L2ReiTU5WmRmI21iZO60zmxvc9sAiAIJXNJoR"
    "8gzeYMJ0ek2FvN0JoGjOWU1PgErmBkOQq7uEsk413WYqP2+tIt7OINT6IcnKUNRj1hsXIi"
    "EhgX0Sa/gb241CyxZoYfTNYsUWmhvWstp9VV7vtvxdWisOaq3Iq0VXWHu+zKKDXKZrIJcx"
    "/YMiVTM0hBPUj3SEQ0QbwVwyr08U5Wwwr8I5bqOwR/9Fai6YAyQS5Ewgj8h4EUd4wOR8Ms"
    "Je+0qIilX6ceuXQUg1jgWJLNXjTq975zWPRo5ErUMLncCEJTA9aCdAUo6oHf7YykTt+Dub"
    "uIRpYXse0xbC0mZJvb/ZUPv3U+updZuTAbXH5qfW7VOndXsNlpdD7PR1DZz/Q/zY6t62u3"
    "esjXMhSgbidjDEHxtt0YHzf4ibjW6z1RFFy8votvZQsXEzNLZ1toWdEJrXShgjliEbZQ7Z"
    "iKokObmdQC75XWZ+m9zdl5/PATLJ3zLz152LefySQZL9eSXPitr079glKeJMEaVJK2H6Pj"
    "9MVQVlat+bfTYnDPYGSEnbZKaO5wTKjYZ1yRiw64EtHcHpUFfXEWwb4w25HqaUXC8L1xO2"
    "Be7bByza0HzO6aAOkGzhQSiZDN2Rz9/x2OT1+IeoJKYyjkLGURwc3ALiKAL+3G3x9Xs6Sp"
    "GwHtyQSAxBy14BdJ86nVpsHdsBsAO3m2qiGli5UyA9TECKQD0hCsXjRnroCf9FGcNNepif"
    "D9FEWg8+dwHEY3GqRLUpRZgfIWEM/wDQC6IL4GiIQJ1BPEWA9UjAK9X48RMIRAzTCyOJB5"
    "sU9ZD16Ua0MZobxEJYXfDcLLHMI2tCUUKVXrRJrEIMIDFl4nUG1Qh7+cXa3gPqQrwSfbMQ"
    "xVDnwzQSIxP2H2QJoPGrZwhSa8ReStTJKJrDRtFolp4vjMYjqIRzfA/BB8E3i+GcbpuMkE"
    "njZH7jpC8hE8f3et93qIMyj/faTb/35bHVVxpPg959Y9Duda9BvGyIGw9tpdnodK6BdzXE"
    "d586SqPp0PjXQ8ye1/7Ybrq9Be+GuN+6b3dvW/1r4F0N8W1j0FAYY/peZ5ECTvXQ6w+Uu1"
    "a31Xe7jRVFl/Es8/a8nmHantdTZy2vOvaYiQ0GzYMXCfHgRUI0vjTaA3al9Fuf260vbJSE"
    "C4Y4W4xFu6s89Ht3/dbj4zUI3PAhMOj/RzzUuxriZu/+odMaiBgL77K4SIyiBovC9llmPh"
    "kfI5RSfoN4s8BeN+Z7Wj9Xg+T786u+zTlVOz02Gc+4TO7fN5j0fjvEn9p3n65BfYif+nci"
    "gOk842xwPFTn9XdXS+cUv1nll3pkD+3EnVP+wYptVtl4L3uMNLtvdJ8anZx79pq3pDaZhP"
    "Quh9jp6xoE+jx4lBg0TW2KmZ5mEWVEEtxJN4ToCOKUoIM4dYQ3I0ZeFHOWJfuVUje9Xick"
    "pW7aUTH0dH/TYowQfGCNNMd0E58gFP1ha0wZU2b2HGIm6F809JqTB6l9SE7k4ISMlvx+oq"
    "tUmrQNW5Ffg1Zn97WPNCaUg8RG+Z8E58tjEiXc4zr/NGgWZZgrOsss++GuqT3reQqfohzH"
    "KSqVBDVoFc8x+CNkUtZkkjVRT0oOwBNIJeiZQPcVMvbsiTbNI3qSaMshhCp1posPAorYO+"
    "XKbRWh2p+547yoybDjaFu+OSG2pZiIPWicB9oEyj3Ce3Yscfoi2J7BZiedLE8FN0Iljz/I"
    "4w/lsD0zCc3fP8f66FNstSoeD+6FLH8Oioppz+eQ5jraH6eU4z7/uBf5ehaK2OWJDD0Jdo"
    "CVRs3kDqRFM4dF04fQzYu0MQsC9JIDuaz73BSvMCCTduGrZFCYTkqg/BKI/Wh7owNSIUJp"
    "xy+zHV98+W8jJocpJZfLzGVvA7DRGdcIreR0mTkts5h8X/yWZ9dT2Xykp5jl2fXvkesJkz"
    "12dl3VIePJWBnl8tGFqaqgB+3BPRc6P5VzikVp5QJanjkVF6X8I+fQ4sFnG7A6Rix5XWZe"
    "qzw2Wld4tCcyN9w1JXch+V5mvpvEpipSNstWkkgsk5ZEQn8N+Mpj2CeUzPPiGyeV6MqUMD"
    "IlzMHBLSAlTHCy7wDkaqcvSZCMGTLDhNerXYzkqiffSVzhcyeMCQQOBj4LFHEWu5Qff+4j"
    "HabkHUj/JFE14E8SCNtBVS0xEA7m4ylxthxJy9Q6FVqKkoOpdwFUBT/WFj/qolDyugOwOr"
    "yvKgFVdNYvZxqmpP5aztHV+b8UXyZkywIWTrtFJoCwQt7TKWiPTXanL8CUDYgP4Cvri9Cv"
    "wIQLE7zOCFChbSKe0Ss59dfOes79aTkvXZaXB4/f50pzdaNNU2OhE7WlhBBod0FZNdDXZ7"
    "gq0lDuhED/VK+fn7+rn51fvb+8ePfu8v3ZMhY6XrUqKPqmfccjtE6CdhwvZGtF+iuZIkim"
    "CNos64vQfLbLExTposT+L5kraEejxiJbjplQB6UWOHLI7GbI5M8rJRNKbRNaHP1cdFaLdp"
    "ROegoiqYj4LjtZ7CUDuiQos5grU2RIfpexDLUql8s4S4DdwT4TUjYeSwdm6YCVDswDOjD3"
    "+92FY8U17cMLS0jT3WiFW2CX9v00K2zQAbDOEhtyPGSzxrqnK9h/QG2MGdwAOjbTRBPr6u"
    "aJ30nwxqh3joPpuyNWt+YLCYHzXPKDAftYHtMtphHGxRBf9wHTAOH+8ngUb8feXQoaqk2n"
    "iK4Ipc9gI4r0UWb9qdbst9im+ho4/6NZdLk9+qHf+9wQ9mjnyjcT+VYi1/Tj2n34XbP3ue"
    "UUOFebGHMK+Gr70SWWr/Wfut129y6nmPLIGAOcC8a1p2ZTmOzci7gRjmtHt0rvaXANlpe7"
    "M80Vws2ynFAunVysrgIuTyx/L8H5Y5uKSBNlnicXXIRKftY6vsshtmXYuRJn+RQycdYWyW"
    "vz5oiT6eG28SSJvIVsqVcT7DJrMPfJJPL5kR/xGELEQESmmebJS3c8JVNXgQ97cEKN0cie"
    "KjbV8yAeIqoi0BfvMyF98X4F1Lwyqn8gI1dm+CWBXEQ3X0R1kislttu8HFmwK5WKn9uImZ"
    "jOJ9xDRFUUNQXIdOlyli7nsgK7wuUsHaI7cYgmDt0d4Cq9+OtdzgHHG7W0CVS3PXDXcLup"
    "EOaFn4xyjpKl+OSX58zW+OP9jzJl88WL9sFzS9dgDp+RCYaiPxOokNKF8Lnrop01Q6ZLZg"
    "5rAGLg8gnohDzbRrIPv5jHrPT9C9oEl7/uISkayiNT5TwyteRS1g33kqDMbmi52y4h1nJT"
    "WN5N4WGi5Lx8HwlrcSAVSPpK7ObRyLgMf2FLFwLiQwmaKvZVJpiSUzCYIWAilSIL8O8jmw"
    "C9ILoAbm4NtiSOgWYCzEsBa2RTzFbH0YIvnfxQZXwhLvJB648vy4i6g0bUif851lOvvVxO"
    "sy2nOV0R2zghyo5uQV4IIaHyYOxTVBLmIj6EaipsqdJe8n7lJ0S3x6/7eJL6aD/uI5PXpw"
    "/36ob2yeT1VeN6QpxfLO2U9MfII4BlVMJ35zyQaR9XexCi5rcd5J+rEDqFWnSW8zjJphOc"
    "5CusOl6zbHaddECkraQEC8hJaW0lh/X+hM8yZVIy365QMt/GlUyp86Sjf5y73zSdJ7ZJyx"
    "SBYGjKM1psG4BgaGyXd4RDINPmQUZpZILpUPvRowRrfxvSo4RHpiHPApJMQ54drKCXeHOo"
    "sn+b4mhAKlIRbCCqqbNaghbo1pysUgGh36Y06t/3EpC25angdG3vBVFTS0p9mq7wBUiq6F"
    "q8vMziWry8THct8rpI1kg2qXIg7DavILrF6NQEW+6+IuuBsQDJ/g+NHcansLPjYTkU290v"
    "Zn//H4EqcQw="
)
