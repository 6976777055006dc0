ALTER TABLE local_user
    ADD COLUMN enable_keyboard_navigation boolean DEFAULT FALSE NOT NULL;

