CREATE INDEX index_keywords_keyword
                           ON keywords (keyword);