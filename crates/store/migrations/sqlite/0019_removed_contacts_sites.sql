-- Contacts and sites are removed from the customer's card (issue 21). A removed one is kept
-- for the history of the tickets that name it (who called, where the engineer went) but no
-- longer finds the customer, gets mail or takes new tickets and equipment.
ALTER TABLE contacts ADD COLUMN removed_at BIGINT;
ALTER TABLE sites ADD COLUMN removed_at BIGINT;
