-- A view, not a relation: the schedule's venue names (often abbreviated: "Chateauroux
-- Shooting Ctr", "Nautical St - Flat water", "La Concorde 2") mapped to the venue's name
-- in venues.csv. A schedule name missing here is used as written; a test checks that every
-- schedule venue of the data resolves to a venues.csv name.
CREATE OR REPLACE TEMPORARY VIEW venue_names AS
SELECT schedule_venue, venue
FROM VALUES
  ('BMX Stadium', 'Saint-Quentin-en-Yvelines BMX Stadium'),
  ('Champ-de-Mars Arena', 'Champ de Mars Arena'),
  ('Chateauroux Shooting Ctr', 'Chateauroux Shooting Centre'),
  ('La Chapelle Arena', 'Porte de La Chapelle Arena'),
  ('La Concorde 1', 'La Concorde'),
  ('La Concorde 2', 'La Concorde'),
  ('La Concorde 3', 'La Concorde'),
  ('La Concorde 4', 'La Concorde'),
  ('Le Bourget Climbing Venue', 'Le Bourget Sport Climbing Venue'),
  ('Le Golf National', 'Golf National'),
  ('National Velodrome', 'Saint-Quentin-en-Yvelines Velodrome'),
  ('Nautical St - Flat water', 'Vaires-sur-Marne Nautical Stadium'),
  ('Nautical St - White water', 'Vaires-sur-Marne Nautical Stadium'),
  ('Roland-Garros Stadium', 'Stade Roland-Garros'),
  ('South Paris Arena 1', 'South Paris Arena'),
  ('South Paris Arena 4', 'South Paris Arena'),
  ('South Paris Arena 6', 'South Paris Arena')
  AS mapping(schedule_venue, venue)
