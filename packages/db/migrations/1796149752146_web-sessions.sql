-- Up Migration

-- Sign-in sessions of the web pages. The browser holds only the session id in an HTTP-only cookie;
-- like API tokens, only a SHA-256 of it is kept. The CSRF token is the session's own (a
-- synchronizer token the pages put in forms and in the header their scripts send).
CREATE TABLE web_sessions (
  id_hash bytea PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  csrf_token text NOT NULL,
  -- how the user signed in: 'token' (an API token typed into the sign-in page) or 'lti'
  method text NOT NULL CHECK (method IN ('token', 'lti')),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at);

-- Down Migration

DROP TABLE web_sessions;
