DROP INDEX path_categories_idx;
DROP INDEX index_version_num;
