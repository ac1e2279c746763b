-- How many non-null values each column of one extract holds (one row, one column per column).
select count(*) as "__rows", count(columns(*)) from query_table($extract)
