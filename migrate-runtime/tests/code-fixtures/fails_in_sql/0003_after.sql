CREATE TABLE after_failure (id INTEGER);
