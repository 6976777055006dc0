alter table versions
    alter column checksum set not null;
