-- A ticket on an asset keeps its warranty state on the day it came in (`in`, `out`, or NULL
-- when unknown); out of warranty, the repair is chargeable.
ALTER TABLE tickets ADD COLUMN warranty TEXT;
-- The QR label's token opens the asset: look it up by token.
CREATE INDEX assets_qr_token ON assets (qr_token);
