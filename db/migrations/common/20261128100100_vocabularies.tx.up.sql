-- The offices and topics of courses.Offices and courses.Topics. Their names
-- are translated in the application's message catalogue.
INSERT INTO offices (code, position) VALUES
    ('raadslid', 1), ('wethouder', 2), ('burgemeester', 3), ('griffier', 4),
    ('commissielid', 5), ('statenlid', 6), ('gedeputeerde', 7), ('overig', 8);

INSERT INTO topics (code, position) VALUES
    ('rollen', 1), ('werkwijze-raad', 2), ('financien', 3), ('integriteit', 4),
    ('ruimte', 5), ('openbare-orde', 6), ('participatie', 7), ('samenwerking', 8),
    ('sociaal-domein', 9), ('communicatie', 10), ('recht', 11);
