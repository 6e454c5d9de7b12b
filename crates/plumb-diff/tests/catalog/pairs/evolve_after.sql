-- Key columns uuid → varchar(36), with the foreign key, index, views and policy that depend on them
-- (incident 2), enum values added in the middle and at the end, columns dropped, added, widened,
-- constraints and indexes changed, a function replaced, tables and sequences added and dropped.
CREATE TYPE public.status AS ENUM ('draft', 'review', 'live', 'archived');
CREATE TABLE public.organizations (
    id   varchar(36) PRIMARY KEY,
    name text NOT NULL,
    plan text DEFAULT 'free'
);
COMMENT ON TABLE public.organizations IS 'tenants';
CREATE TABLE public.users (
    id              varchar(36) PRIMARY KEY,
    organization_id varchar(36) NOT NULL REFERENCES public.organizations (id),
    email           text NOT NULL,
    age             bigint,
    nickname        text
);
CREATE INDEX users_org ON public.users (organization_id);
CREATE INDEX users_email ON public.users (lower(email));
CREATE VIEW public.user_emails AS SELECT id, email FROM public.users;
CREATE VIEW public.org_users AS
    SELECT o.name, u.id FROM public.organizations o JOIN public.users u ON u.organization_id = o.id;
CREATE VIEW public.org_user_count AS SELECT count(*) AS n FROM public.org_users;
ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_org ON public.users USING (organization_id IS NOT NULL);
CREATE TABLE public.posts (
    id     bigint PRIMARY KEY,
    status public.status NOT NULL DEFAULT 'review',
    body   text,
    CONSTRAINT body_len CHECK (length(body) < 200)
);
CREATE INDEX posts_live ON public.posts (id) WHERE status = 'live';
CREATE FUNCTION public.answer() RETURNS integer LANGUAGE sql AS 'SELECT 42';
CREATE TABLE public.arrived (id integer PRIMARY KEY, post_id bigint REFERENCES public.posts (id));
CREATE SEQUENCE public.s1 INCREMENT BY 10;
CREATE DOMAIN public.percent AS integer CHECK (VALUE >= 0) CHECK (VALUE <= 100);
