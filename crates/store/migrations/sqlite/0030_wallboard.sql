-- The shift lead's wallboard (issue 9). Keep this file and its twin in the other
-- backend's folder equal in meaning.

-- Today's callback attempts (reached, not reached), read by time: the wallboard refreshes
-- every few seconds and must not scan the history of attempts.
CREATE INDEX callback_attempts_at ON callback_attempts (at);
