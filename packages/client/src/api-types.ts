// Generated from the api's OpenAPI document by packages/client/src/generate-api-types.ts — do not edit.
export interface paths {
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description ok */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @constant */
                            status: "ok";
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: Postgres and Redis answer, and no worker reports its Docker sandbox limits missing */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description ready */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            status: "ready" | "not ready";
                            postgres: string;
                            redis: string;
                            sandbox: string;
                        };
                    };
                };
                /** @description not ready */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            status: "ready" | "not ready";
                            postgres: string;
                            redis: string;
                            sandbox: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Prometheus metrics */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Prometheus text exposition format */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/plain": string;
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This document (OpenAPI 3.1) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OpenAPI 3.1 */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": Record<string, never>;
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/.well-known/jwks.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** kadai's LTI signing keys (JWKS) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description the public keys, current and recently rotated */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            keys: {
                                [key: string]: unknown;
                            }[];
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/lti/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** LTI 1.3 OIDC login initiation (from the platform) */
        get: {
            parameters: {
                query?: {
                    iss?: string;
                    login_hint?: string;
                    target_link_uri?: string;
                    lti_message_hint?: string;
                    client_id?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description to the platform's authorization endpoint */
                302: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description refused (a page saying why) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/html": string;
                    };
                };
            };
        };
        put?: never;
        /** LTI 1.3 OIDC login initiation (from the platform) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/x-www-form-urlencoded": {
                        iss?: string;
                        login_hint?: string;
                        target_link_uri?: string;
                        lti_message_hint?: string;
                        client_id?: string;
                    };
                };
            };
            responses: {
                /** @description to the platform's authorization endpoint */
                302: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description refused (a page saying why) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/html": string;
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/lti/launch": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** LTI 1.3 launch (form_post of the id_token): signs the student in and opens the lab */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/x-www-form-urlencoded": {
                        id_token: string;
                        state: string;
                    };
                };
            };
            responses: {
                /** @description to the lab's page (instructors: its analytics), with a session cookie */
                303: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description refused (a page saying why) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/html": string;
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/submissions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Submit lab work (multipart: lab + one zip/tar.gz; or JSON: files map or quiz answers) */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description lab id, e.g. quiz-ch01 */
                        lab: string;
                        /** @description path → UTF-8 file content */
                        files?: {
                            [key: string]: string;
                        };
                        /** @description quiz: question id → choice ids */
                        answers?: {
                            [key: string]: string | string[];
                        };
                    };
                    "multipart/form-data": {
                        lab: string;
                        /** Format: binary */
                        archive: string;
                    };
                };
            };
            responses: {
                /** @description same Idempotency-Key: the earlier submission */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["AcceptedSubmission"];
                    };
                };
                /** @description queued */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["AcceptedSubmission"];
                    };
                };
                /** @description bad request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description refused by the course's policy: the assignment is not open or past its deadline, no attempts are left, or too many of this student's submissions to the lab ended in error (free errors are capped; an instructor's regrade frees one); or the lab is withdrawn, or changed twice while the submission was taken (submit again), or no worker can grade it here (a capability the grading cluster lacks) */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description too large */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description unsupported media type */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description invalid input: each issue named by field or file:line:col */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/submissions/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** State, score and per-check feedback */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description the submission, filtered by visibility and role */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Submission"];
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/submissions/{id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Server-Sent Events until a terminal state */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description text/event-stream of Submission objects (event name = state) until a terminal state */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/event-stream": string;
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/submissions/{id}/regrade": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Regrade one submission (instructor, audited): a new grading run */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @default  */
                        reason?: string;
                    };
                };
            };
            responses: {
                /** @description queued as a new grading run */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** Format: uuid */
                            id: string;
                            gradingRun: number;
                            /** @constant */
                            state: "queued";
                        };
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description conflict with the current state */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description invalid input: each issue named by field or file:line:col */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/submissions/{id}/override": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Set a graded submission's score by hand (instructor, audited with the reason) */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        score: number;
                        reason: string;
                    };
                };
            };
            responses: {
                /** @description the submission, filtered by visibility and role */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Submission"];
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description conflict with the current state */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description invalid input: each issue named by field or file:line:col */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/labs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The lab catalog: every published lab in service (a withdrawn one is left out) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description labs */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            labs: {
                                id: string;
                                /** @enum {string} */
                                kind: "quiz" | "docker" | "kubernetes";
                                chapter: number;
                                title: {
                                    ja: string;
                                    en: string;
                                };
                                version: string;
                                maxPoints: number;
                                timeLimitSeconds: number;
                                /** @description set when no worker can grade the lab here (e.g. a capability the grading cluster lacks): why; it takes no submissions until one can */
                                unavailable?: string;
                            }[];
                        };
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/labs/reload": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What a reload would do (instructors, admins): the labs folder read now, each lab's version there or its problems (file:line:col, relative to the folder), against the version published and whether it is withdrawn */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description each lab, in the folder or published */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            labs: {
                                id: string;
                                /** @description the version published (every api and worker grades with it); null: never published */
                                version: string | null;
                                /** @description the version in the labs folder now; null: refused (see errors) or no folder */
                                folderVersion: string | null;
                                /** @description when a reload withdrew it; null: in service or never published */
                                withdrawnAt: string | null;
                                /**
                                 * @description what the next reload does to it
                                 * @enum {string}
                                 */
                                onReload: "none" | "add" | "update" | "restore" | "withdraw" | "refuse";
                            }[];
                            /** @description the problems of the refused lab folders, each file relative to the labs folder */
                            errors: {
                                file?: string;
                                line?: number;
                                column?: number;
                                field?: string;
                                message: string;
                                text: string;
                            }[];
                        };
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Read the labs folder again and publish it (admin): labs added or changed take effect without a restart — every api and worker grades with the published version from its next grading of each lab; a lab whose folder is gone is withdrawn (no new submissions; what was handed in is still graded) */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description every lab folder loaded */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            labs: {
                                id: string;
                                /**
                                 * @description against the version published before. restored: a withdrawn lab whose folder is back; withdrawn: its folder is gone (no new submissions, what was handed in is still graded); refused: it fails validation (see errors) and the version published before stays
                                 * @enum {string}
                                 */
                                change: "added" | "updated" | "unchanged" | "restored" | "withdrawn" | "refused";
                                /** @description the version now published */
                                version: string | null;
                                previousVersion: string | null;
                            }[];
                        };
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description invalid input: each issue named by field or file:line:col */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/labs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One lab (a quiz without its key for students; checks without their specs) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description the lab */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            kind: "quiz" | "docker" | "kubernetes";
                            chapter: number;
                            title: {
                                ja: string;
                                en: string;
                            };
                            version: string;
                            maxPoints: number;
                            timeLimitSeconds: number;
                            /** @description set when no worker can grade the lab here (e.g. a capability the grading cluster lacks): why; it takes no submissions until one can */
                            unavailable?: string;
                            /** @description the lab's lab.yaml as the caller may read it */
                            definition: {
                                [key: string]: unknown;
                            };
                            /** @description when a reload withdrew it (no new submissions; earlier ones stay graded and readable); null: in service */
                            withdrawnAt: string | null;
                        };
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/courses/{id}/results": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Class results (instructor, admin, LMS): one row per student and assignment, best or last attempt; ?format=csv or Accept: text/csv for CSV */
        get: {
            parameters: {
                query?: {
                    format?: "json" | "csv";
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description one row per student and assignment */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            course: string;
                            results: {
                                login: string;
                                displayName: string;
                                /** Format: uuid */
                                assignmentId: string;
                                labId: string;
                                /** @enum {string} */
                                scoring: "best" | "last";
                                submissionId: string | null;
                                attempts: number;
                                score: number | null;
                                maxScore: number | null;
                                state: string | null;
                                late: boolean;
                                submittedAt: string | null;
                            }[];
                        };
                        "text/csv": string;
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/assignments/{id}/regrade": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Regrade every graded submission of an assignment (instructor, audited): each a new grading run */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @default  */
                        reason?: string;
                    };
                };
            };
            responses: {
                /** @description queued */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** Format: uuid */
                            assignment: string;
                            regrading: number;
                            submissions: string[];
                        };
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description conflict with the current state */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description invalid input: each issue named by field or file:line:col */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/courses": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's courses (all of them for an admin) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description courses */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            courses: {
                                id: string;
                                title: string;
                                createdAt: string;
                                myRole?: ("student" | "instructor") | null;
                            }[];
                        };
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Create a course (admin) */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        id: string;
                        title: string;
                    };
                };
            };
            responses: {
                /** @description created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Course"];
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description conflict with the current state */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description invalid input: each issue named by field or file:line:col */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/courses/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One course (its instructors, admins, the LMS) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description the course */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Course"];
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Rename a course (admin) */
        patch: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        title: string;
                    };
                };
            };
            responses: {
                /** @description the course */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Course"];
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description invalid input: each issue named by field or file:line:col */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        trace?: never;
    };
    "/v1/courses/{id}/enrollments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A course's students and instructors */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description enrolments */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            course: string;
                            enrollments: {
                                /** Format: uuid */
                                userId: string;
                                login: string;
                                displayName: string;
                                /** @enum {string} */
                                role: "student" | "instructor";
                            }[];
                        };
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/courses/{id}/enrollments/{login}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Enrol a user (or change their role in the course) */
        put: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path: {
                    id: string;
                    login: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /**
                         * @default student
                         * @enum {string}
                         */
                        role?: "student" | "instructor";
                    };
                };
            };
            responses: {
                /** @description enrolled */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            course: string;
                            login: string;
                            /** @enum {string} */
                            role: "student" | "instructor";
                        };
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description invalid input: each issue named by field or file:line:col */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        post?: never;
        /** Remove a user from a course (their submissions stay) */
        delete: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path: {
                    id: string;
                    login: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description removed */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/courses/{id}/roster": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Import a roster (CSV with header login,name,role): users created as needed and enrolled, in one transaction; every bad row reported by line, and then nothing imported */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "text/csv": string;
                };
            };
            responses: {
                /** @description imported */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            course: string;
                            usersCreated: number;
                            enrolled: number;
                        };
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description unsupported media type */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description invalid input: each issue named by field or file:line:col */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/courses/{id}/assignments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A course's assignments */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description assignments */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            course: string;
                            assignments: {
                                /** Format: uuid */
                                id: string;
                                courseId: string;
                                labId: string;
                                opensAt: string | null;
                                dueAt: string | null;
                                latePolicy: unknown;
                                maxAttempts: number | null;
                                /** @enum {string} */
                                scoring: "best" | "last";
                                visibility: ("visible" | "hidden" | "after_due") | null;
                                checkVisibility: {
                                    [key: string]: "visible" | "hidden" | "after_due";
                                };
                            }[];
                        };
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Set a lab in a course with its dates and policies */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        labId: string;
                        opensAt?: string | null;
                        dueAt?: string | null;
                        /**
                         * @default {
                         *       "mode": "reject"
                         *     }
                         */
                        latePolicy?: {
                            /** @constant */
                            mode: "reject";
                        } | {
                            /** @constant */
                            mode: "accept";
                        } | {
                            /** @constant */
                            mode: "penalty";
                            percentPerDay: number;
                            maxDaysLate: number;
                        };
                        /** @default null */
                        maxAttempts?: number | null;
                        /**
                         * @default best
                         * @enum {string}
                         */
                        scoring?: "best" | "last";
                        /**
                         * @description overrides the lab's visibility of every check when set
                         * @default null
                         */
                        visibility?: ("visible" | "hidden" | "after_due") | null;
                        /**
                         * @description per check id of the lab: overrides both `visibility` and the lab's own for that check ({} : none)
                         * @default {}
                         */
                        checkVisibility?: {
                            [key: string]: "visible" | "hidden" | "after_due";
                        };
                    };
                };
            };
            responses: {
                /** @description created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Assignment"];
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description conflict with the current state */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description invalid input: each issue named by field or file:line:col */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/assignments/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One assignment */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description the assignment */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Assignment"];
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change an assignment's dates and policies (audited) */
        patch: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        opensAt?: string | null;
                        dueAt?: string | null;
                        latePolicy?: {
                            /** @constant */
                            mode: "reject";
                        } | {
                            /** @constant */
                            mode: "accept";
                        } | {
                            /** @constant */
                            mode: "penalty";
                            percentPerDay: number;
                            maxDaysLate: number;
                        };
                        maxAttempts?: number | null;
                        /** @enum {string} */
                        scoring?: "best" | "last";
                        /** @description overrides the lab's visibility of every check when set */
                        visibility?: ("visible" | "hidden" | "after_due") | null;
                        /** @description per check id of the lab: overrides both `visibility` and the lab's own for that check ({} : none) */
                        checkVisibility?: {
                            [key: string]: "visible" | "hidden" | "after_due";
                        };
                    };
                };
            };
            responses: {
                /** @description the assignment */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Assignment"];
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description invalid input: each issue named by field or file:line:col */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        trace?: never;
    };
    "/v1/assignments/{id}/extensions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** An assignment's per-student extensions */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description extensions */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** Format: uuid */
                            assignment: string;
                            extensions: {
                                /** Format: uuid */
                                assignmentId: string;
                                /** Format: uuid */
                                userId: string;
                                login: string;
                                dueAt: string | null;
                                extraAttempts: number;
                                reason: string;
                            }[];
                        };
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/assignments/{id}/extensions/{login}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Give one student a due date of their own and/or extra attempts (audited) */
        put: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path: {
                    id: string;
                    login: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description the student's own due date (none: the assignment's) */
                        dueAt?: string | null;
                        /**
                         * @description attempts beyond the assignment limit
                         * @default 0
                         */
                        extraAttempts?: number;
                        /** @default  */
                        reason?: string;
                    };
                };
            };
            responses: {
                /** @description the extension */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** Format: uuid */
                            assignmentId: string;
                            /** Format: uuid */
                            userId: string;
                            login: string;
                            dueAt: string | null;
                            extraAttempts: number;
                            reason: string;
                        };
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description invalid input: each issue named by field or file:line:col */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        post?: never;
        /** Remove a student's extension */
        delete: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path: {
                    id: string;
                    login: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description removed */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Who the token or session belongs to */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description the caller */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** Format: uuid */
                            userId: string;
                            login: string;
                            /** @enum {string} */
                            role: "student" | "instructor" | "admin" | "lms";
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Users (admin, LMS), by login */
        get: {
            parameters: {
                query?: {
                    role?: "student" | "instructor" | "admin" | "lms";
                    limit?: number;
                    offset?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description users */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            users: {
                                /** Format: uuid */
                                id: string;
                                login: string;
                                displayName: string;
                                /** @enum {string} */
                                role: "student" | "instructor" | "admin" | "lms";
                                createdAt: string;
                            }[];
                        };
                    };
                };
                /** @description bad request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Create a user (admin; the LMS creates students and instructors) */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        login: string;
                        displayName: string;
                        /**
                         * @default student
                         * @enum {string}
                         */
                        role?: "student" | "instructor" | "admin" | "lms";
                    };
                };
            };
            responses: {
                /** @description created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["User"];
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description conflict with the current state */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description invalid input: each issue named by field or file:line:col */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/{login}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One user (admin, LMS, or oneself) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    login: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description the user */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["User"];
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change a user's name or role (admin) */
        patch: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path: {
                    login: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        displayName?: string;
                        /** @enum {string} */
                        role?: "student" | "instructor" | "admin" | "lms";
                    };
                };
            };
            responses: {
                /** @description the user */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["User"];
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description invalid input: each issue named by field or file:line:col */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        trace?: never;
    };
    "/v1/users/{login}/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Issue a token (oneself; an admin for anyone) */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path: {
                    login: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @default  */
                        label?: string;
                        /** @description when the token stops working (none: until revoked) */
                        expiresAt?: string | null;
                    };
                };
            };
            responses: {
                /** @description the token, shown only now */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["IssuedToken"];
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description invalid input: each issue named by field or file:line:col */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's tokens (an admin: everyone's, or one user's with ?login=); never the token itself */
        get: {
            parameters: {
                query?: {
                    login?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description tokens */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            tokens: {
                                /** Format: uuid */
                                id: string;
                                /** Format: uuid */
                                userId: string;
                                login: string;
                                label: string;
                                createdAt: string;
                                expiresAt: string | null;
                                revokedAt: string | null;
                            }[];
                        };
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tokens/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke a token (its owner or an admin) */
        delete: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description revoked */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description conflict with the current state */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tokens/{id}/rotate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke a token and issue its replacement with the same label and expiry */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description the token, shown only now */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["IssuedToken"];
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description conflict with the current state */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/courses/{id}/webhooks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A course's webhook endpoints */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description endpoints */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            course: string;
                            webhooks: {
                                /** Format: uuid */
                                id: string;
                                courseId: string;
                                url: string;
                                events: ("submission.graded" | "submission.error" | "submission.regraded")[];
                                /** @description set when the receiver answered 410 Gone or someone disabled it; nothing is sent meanwhile */
                                disabledAt: string | null;
                                disabledReason: string | null;
                                createdAt: string;
                            }[];
                        };
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Register a webhook endpoint of a course (URL checked: http(s), not kadai, no private address unless allowed) */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description http(s) URL receiving POSTs signed as Standard Webhooks */
                        url: string;
                        /**
                         * @default [
                         *       "submission.graded",
                         *       "submission.error",
                         *       "submission.regraded"
                         *     ]
                         */
                        events?: ("submission.graded" | "submission.error" | "submission.regraded")[];
                    };
                };
            };
            responses: {
                /** @description registered; the secret is shown only now */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** Format: uuid */
                            id: string;
                            courseId: string;
                            url: string;
                            events: ("submission.graded" | "submission.error" | "submission.regraded")[];
                            /** @description set when the receiver answered 410 Gone or someone disabled it; nothing is sent meanwhile */
                            disabledAt: string | null;
                            disabledReason: string | null;
                            createdAt: string;
                            /** @description whsec_…: give it to the receiver; kadai shows it only now */
                            secret: string;
                            /** @description after a rotation: until when the previous secret still signs too */
                            previousSecretValidUntil: string | null;
                        };
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description invalid input: each issue named by field or file:line:col */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One webhook endpoint */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description the endpoint */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["WebhookEndpoint"];
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /** Remove a webhook endpoint and its delivery log */
        delete: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description removed */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/{id}/rotate-secret": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A new signing secret; the previous one keeps signing for a day */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description the new secret, shown only now */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description whsec_…: give it to the receiver; kadai shows it only now */
                            secret: string;
                            /** @description after a rotation: until when the previous secret still signs too */
                            previousSecretValidUntil: string | null;
                        };
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/{id}/disable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Stop sending to an endpoint */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description the endpoint */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["WebhookEndpoint"];
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/{id}/enable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send to an endpoint again (also after a 410 Gone) */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description the endpoint */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["WebhookEndpoint"];
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/{id}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** An endpoint's delivery log, newest first, each with its attempts */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description deliveries */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** Format: uuid */
                            webhook: string;
                            deliveries: {
                                /** Format: uuid */
                                id: string;
                                /** @description the webhook-id header: the same for every attempt and redelivery of the message */
                                messageId: string;
                                /** @enum {string} */
                                eventType: "submission.graded" | "submission.error" | "submission.regraded";
                                /** @enum {string} */
                                state: "pending" | "delivered" | "failed";
                                attempts: number;
                                nextAttemptAt: string | null;
                                lastStatus: number | null;
                                lastError: string | null;
                                createdAt: string;
                                deliveredAt: string | null;
                                payload: unknown;
                                history: {
                                    attempt: number;
                                    at: string;
                                    status: number | null;
                                    error: string | null;
                                    durationMs: number;
                                }[];
                            }[];
                        };
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/{id}/deliveries/{delivery}/redeliver": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send a delivery again (same webhook-id) */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path: {
                    id: string;
                    delivery: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description queued again */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** Format: uuid */
                            delivery: string;
                            /** @constant */
                            state: "pending";
                        };
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not found (also what is not the caller’s to see) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description conflict with the current state */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/lti/platforms": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Registered LTI platforms (admin) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description platforms */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            platforms: {
                                [key: string]: unknown;
                            }[];
                        };
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Register an LMS platform (issuer, client id, JWKS URL, deployment id) for a course (admin) */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** Format: uri */
                        issuer: string;
                        clientId: string;
                        /** Format: uri */
                        authLoginUrl: string;
                        /** Format: uri */
                        authTokenUrl: string;
                        /** Format: uri */
                        jwksUrl: string;
                        deploymentIds: string[];
                        courseId: string;
                    };
                };
            };
            responses: {
                /** @description registered */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description invalid input: each issue named by field or file:line:col */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/lti/keys/rotate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Rotate kadai's LTI signing key (admin); the old one stays published a while */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description the same key again answers with the first answer */
                    "Idempotency-Key"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description the new key */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            kid: string;
                        };
                    };
                };
                /** @description no valid token or session */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description not allowed for this role or course */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description over a rate limit; see Retry-After */
                429: {
                    headers: {
                        /** @description seconds */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        Submission: {
            /** Format: uuid */
            id: string;
            lab: string;
            /** @enum {string} */
            labKind: "quiz" | "docker" | "kubernetes";
            /** @enum {string} */
            state: "queued" | "running" | "graded" | "error" | "rejected";
            attempt: number | null;
            /** @description the latest grading run (a regrade is a new one) */
            gradingRun: number;
            /** @description the run whose score and checks count and are shown; a regrade replaces it only when it records a grade */
            gradedRun: number | null;
            score: number | null;
            maxScore: number | null;
            lateFactor: number;
            labVersion: string;
            gradedLabVersion: string | null;
            /** @description why the latest run was rejected, or failed (state error): for a student, kadai's own failure only in their words (the notice), the detail for instructors */
            error: string | null;
            /** @description for the student: a run that ended in error (no attempt used), or a regrade that kept the previous grade */
            notice: {
                ja: string;
                en: string;
            } | null;
            rejection: {
                file?: string;
                line?: number;
                column?: number;
                field?: string;
                message: string;
            }[] | null;
            submittedAt: string;
            finishedAt: string | null;
            checks: {
                checkId: string;
                title: {
                    ja: string;
                    en: string;
                };
                /** @description false while the check is hidden from the student (hidden, or after_due before the due date) */
                released: boolean;
                /** @enum {string} */
                visibility: "visible" | "hidden" | "after_due";
                /** @enum {string} */
                status?: "pass" | "fail" | "error" | "skipped";
                points?: number;
                maxPoints?: number;
                message?: {
                    ja: string;
                    en: string;
                };
                evidence?: string;
            }[];
        };
        AcceptedSubmission: {
            /** Format: uuid */
            id: string;
            /** @enum {string} */
            state: "queued" | "running" | "graded" | "error" | "rejected";
            attempt: number | null;
            location: string;
        };
        LabSummary: {
            id: string;
            /** @enum {string} */
            kind: "quiz" | "docker" | "kubernetes";
            chapter: number;
            title: {
                ja: string;
                en: string;
            };
            version: string;
            maxPoints: number;
            timeLimitSeconds: number;
            /** @description set when no worker can grade the lab here (e.g. a capability the grading cluster lacks): why; it takes no submissions until one can */
            unavailable?: string;
        };
        CourseResultRow: {
            login: string;
            displayName: string;
            /** Format: uuid */
            assignmentId: string;
            labId: string;
            /** @enum {string} */
            scoring: "best" | "last";
            submissionId: string | null;
            attempts: number;
            score: number | null;
            maxScore: number | null;
            state: string | null;
            late: boolean;
            submittedAt: string | null;
        };
        Course: {
            id: string;
            title: string;
            createdAt: string;
            myRole?: ("student" | "instructor") | null;
        };
        Assignment: {
            /** Format: uuid */
            id: string;
            courseId: string;
            labId: string;
            opensAt: string | null;
            dueAt: string | null;
            latePolicy: unknown;
            maxAttempts: number | null;
            /** @enum {string} */
            scoring: "best" | "last";
            visibility: ("visible" | "hidden" | "after_due") | null;
            checkVisibility: {
                [key: string]: "visible" | "hidden" | "after_due";
            };
        };
        User: {
            /** Format: uuid */
            id: string;
            login: string;
            displayName: string;
            /** @enum {string} */
            role: "student" | "instructor" | "admin" | "lms";
            createdAt: string;
        };
        TokenInfo: {
            /** Format: uuid */
            id: string;
            /** Format: uuid */
            userId: string;
            login: string;
            label: string;
            createdAt: string;
            expiresAt: string | null;
            revokedAt: string | null;
        };
        IssuedToken: {
            /** Format: uuid */
            id: string;
            /** Format: uuid */
            userId: string;
            login: string;
            label: string;
            createdAt: string;
            expiresAt: string | null;
            revokedAt: string | null;
            /** @description the bearer token: shown only now, kadai keeps its hash */
            token: string;
        };
        WebhookEndpoint: {
            /** Format: uuid */
            id: string;
            courseId: string;
            url: string;
            events: ("submission.graded" | "submission.error" | "submission.regraded")[];
            /** @description set when the receiver answered 410 Gone or someone disabled it; nothing is sent meanwhile */
            disabledAt: string | null;
            disabledReason: string | null;
            createdAt: string;
        };
        WebhookDelivery: {
            /** Format: uuid */
            id: string;
            /** @description the webhook-id header: the same for every attempt and redelivery of the message */
            messageId: string;
            /** @enum {string} */
            eventType: "submission.graded" | "submission.error" | "submission.regraded";
            /** @enum {string} */
            state: "pending" | "delivered" | "failed";
            attempts: number;
            nextAttemptAt: string | null;
            lastStatus: number | null;
            lastError: string | null;
            createdAt: string;
            deliveredAt: string | null;
            payload: unknown;
            history: {
                attempt: number;
                at: string;
                status: number | null;
                error: string | null;
                durationMs: number;
            }[];
        };
        Problem: {
            type: string;
            title: string;
            status: number;
            detail: string;
            errors?: {
                file?: string;
                line?: number;
                column?: number;
                field?: string;
                message: string;
                text: string;
            }[];
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
