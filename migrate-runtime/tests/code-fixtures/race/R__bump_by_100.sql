UPDATE counter SET n = n + 100;
