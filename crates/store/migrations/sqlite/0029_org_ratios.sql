-- Headcount ratios (issue 9, document 6: one vehicle technical manager per 50 vehicles).
-- Keep this file and its twin in the other backend's folder equal in meaning.

-- What a department counts and manages, as a JSON object {"营运车辆": 120}.
ALTER TABLE departments ADD COLUMN quantities TEXT NOT NULL DEFAULT '{}';

-- A position's ratio rule as JSON {"holders":1,"per":50,"quantity":"营运车辆",
-- "rounding":"ceil","at_least":1}; NULL when its headcount follows no quantity.
ALTER TABLE positions ADD COLUMN headcount_ratio TEXT;
