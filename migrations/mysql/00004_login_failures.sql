-- +goose Up
-- The password lockout counts one username's failures from one address; this index answers
-- that count from the index alone, however many failures other addresses piled up.
CREATE INDEX idx_audit_entries_login ON audit_entries (target, ip, action, created_at);

-- +goose Down
DROP INDEX idx_audit_entries_login ON audit_entries;
