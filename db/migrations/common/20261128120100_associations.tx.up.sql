-- The associations that exist from the first start (CONTRACT.md).
INSERT INTO associations (slug, name, created_at) VALUES
    ('vng', 'Vereniging van Nederlandse Gemeenten (VNG)', CURRENT_TIMESTAMP),
    ('nvvr', 'Raadslid.Nu (NVvR)', CURRENT_TIMESTAMP),
    ('wethoudersvereniging', 'Wethoudersvereniging', CURRENT_TIMESTAMP),
    ('ngb', 'Nederlands Genootschap van Burgemeesters (NGB)', CURRENT_TIMESTAMP),
    ('vvg', 'Vereniging van Griffiers', CURRENT_TIMESTAMP);
