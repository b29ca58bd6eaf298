-- Up Migration

-- LTI 1.3 platforms (an LMS's registration of kadai as a tool), registered by an admin. Launches
-- from a platform sign its users into the course it is tied to.
CREATE TABLE lti_platforms (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  issuer text NOT NULL,
  client_id text NOT NULL,
  auth_login_url text NOT NULL,
  auth_token_url text NOT NULL,
  jwks_url text NOT NULL,
  deployment_ids text[] NOT NULL,
  course_id text NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (issuer, client_id)
);

-- kadai's own signing keys (client-credentials assertions). The newest signs; older ones stay
-- published in the JWKS until they retire, so a platform's cached JWKS still verifies.
CREATE TABLE lti_keys (
  kid text PRIMARY KEY,
  private_jwk jsonb NOT NULL,
  public_jwk jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  retires_at timestamptz NOT NULL
);

-- OIDC login states (single use, minutes long) and the nonces of accepted launches (a replayed
-- id_token is refused while its nonce is remembered, which outlasts the token's own expiry).
CREATE TABLE lti_states (
  state_hash bytea PRIMARY KEY,
  platform_id uuid NOT NULL REFERENCES lti_platforms (id) ON DELETE CASCADE,
  nonce text NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE TABLE lti_nonces (
  platform_id uuid NOT NULL REFERENCES lti_platforms (id) ON DELETE CASCADE,
  nonce text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (platform_id, nonce)
);

-- Where a student's grade for a lab goes: the line item of the launch's Assignment and Grade
-- Services claim. posted_run is the last grading run whose score was accepted by the platform.
CREATE TABLE lti_grade_links (
  platform_id uuid NOT NULL REFERENCES lti_platforms (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  lab_id text NOT NULL REFERENCES labs (id),
  lti_user_id text NOT NULL,
  lineitem text NOT NULL,
  posted_submission uuid,
  posted_run integer,
  posted_score numeric,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (platform_id, user_id, lab_id)
);

-- Down Migration

DROP TABLE lti_grade_links, lti_nonces, lti_states, lti_keys, lti_platforms;
