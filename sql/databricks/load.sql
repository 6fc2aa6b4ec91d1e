-- Load the Kaggle Paris 2024 CSVs from a Unity Catalog volume into tables named like
-- their files (medals.csv → medals), every column a STRING: the fact SQL casts what it
-- needs, exactly as on DuckDB. Only the tables the fact SQL reads are loaded.
-- Column mapping allows the Kaggle headers with spaces ("Gold Medal").
USE CATALOG IDENTIFIER(:catalog);
USE SCHEMA IDENTIFIER(:schema);

CREATE OR REPLACE TABLE medals TBLPROPERTIES ('delta.columnMapping.mode' = 'name') AS
SELECT * FROM read_files(:source_path || '/medals.csv', format => 'csv', header => true,
  inferColumnTypes => false, multiLine => true, escape => '"', mode => 'FAILFAST');

CREATE OR REPLACE TABLE medallists TBLPROPERTIES ('delta.columnMapping.mode' = 'name') AS
SELECT * FROM read_files(:source_path || '/medallists.csv', format => 'csv', header => true,
  inferColumnTypes => false, multiLine => true, escape => '"', mode => 'FAILFAST');

CREATE OR REPLACE TABLE medals_total TBLPROPERTIES ('delta.columnMapping.mode' = 'name') AS
SELECT * FROM read_files(:source_path || '/medals_total.csv', format => 'csv', header => true,
  inferColumnTypes => false, multiLine => true, escape => '"', mode => 'FAILFAST');

CREATE OR REPLACE TABLE athletes TBLPROPERTIES ('delta.columnMapping.mode' = 'name') AS
SELECT * FROM read_files(:source_path || '/athletes.csv', format => 'csv', header => true,
  inferColumnTypes => false, multiLine => true, escape => '"', mode => 'FAILFAST');

CREATE OR REPLACE TABLE events TBLPROPERTIES ('delta.columnMapping.mode' = 'name') AS
SELECT * FROM read_files(:source_path || '/events.csv', format => 'csv', header => true,
  inferColumnTypes => false, multiLine => true, escape => '"', mode => 'FAILFAST');

CREATE OR REPLACE TABLE schedules TBLPROPERTIES ('delta.columnMapping.mode' = 'name') AS
SELECT * FROM read_files(:source_path || '/schedules.csv', format => 'csv', header => true,
  inferColumnTypes => false, multiLine => true, escape => '"', mode => 'FAILFAST');

CREATE OR REPLACE TABLE venues TBLPROPERTIES ('delta.columnMapping.mode' = 'name') AS
SELECT * FROM read_files(:source_path || '/venues.csv', format => 'csv', header => true,
  inferColumnTypes => false, multiLine => true, escape => '"', mode => 'FAILFAST');

CREATE OR REPLACE TABLE teams TBLPROPERTIES ('delta.columnMapping.mode' = 'name') AS
SELECT * FROM read_files(:source_path || '/teams.csv', format => 'csv', header => true,
  inferColumnTypes => false, multiLine => true, escape => '"', mode => 'FAILFAST');

CREATE OR REPLACE TABLE technical_officials TBLPROPERTIES ('delta.columnMapping.mode' = 'name') AS
SELECT * FROM read_files(:source_path || '/technical_officials.csv', format => 'csv', header => true,
  inferColumnTypes => false, multiLine => true, escape => '"', mode => 'FAILFAST');

CREATE OR REPLACE TABLE coaches TBLPROPERTIES ('delta.columnMapping.mode' = 'name') AS
SELECT * FROM read_files(:source_path || '/coaches.csv', format => 'csv', header => true,
  inferColumnTypes => false, multiLine => true, escape => '"', mode => 'FAILFAST');
