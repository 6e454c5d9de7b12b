CREATE TYPE public.status AS ENUM ('draft', 'live');
CREATE TABLE public.organizations (
    id   uuid PRIMARY KEY,
    name text NOT NULL
);
CREATE TABLE public.users (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES public.organizations (id),
    email           text,
    legacy          text,
    age             integer
);
CREATE INDEX users_org ON public.users (organization_id);
CREATE VIEW public.user_emails AS SELECT id, email FROM public.users;
CREATE VIEW public.org_users AS
    SELECT o.name, u.id FROM public.organizations o JOIN public.users u ON u.organization_id = o.id;
CREATE VIEW public.org_user_count AS SELECT count(*) AS n FROM public.org_users;
ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_org ON public.users USING (organization_id IS NOT NULL);
CREATE TABLE public.posts (
    id     bigint PRIMARY KEY,
    status public.status NOT NULL DEFAULT 'draft',
    body   text,
    CONSTRAINT body_len CHECK (length(body) < 100)
);
CREATE INDEX posts_body ON public.posts (body);
CREATE FUNCTION public.answer() RETURNS integer LANGUAGE sql AS 'SELECT 41';
CREATE TABLE public.gone (id integer);
CREATE SEQUENCE public.s1;
CREATE DOMAIN public.percent AS integer CHECK (VALUE >= 0);
